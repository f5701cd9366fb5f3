import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basicAuth } from '../credentials.js';
import { startCrispEmulator } from '../startCrispEmulator.js';
import type { CrispEmulator, CrispEmulatorOptions, EmulatedWebsite } from '../types.js';

/** An emulator with one website and one session, and a client that calls it like Crisp's. */
export interface Harness {
  emulator: CrispEmulator;
  website: EmulatedWebsite;
  sessionId: string;
  conversationUrl(sessionId?: string, websiteId?: string): string;
  headers(website?: EmulatedWebsite): Record<string, string>;
  get(init?: {
    sessionId?: string;
    headers?: Record<string, string>;
    signal?: AbortSignal;
  }): Promise<Response>;
  markRead(body: unknown, sessionId?: string): Promise<Response>;
}

export async function startHarness(options?: CrispEmulatorOptions): Promise<Harness> {
  const emulator = await startCrispEmulator(options);
  const website = emulator.createWebsite();
  const sessionId = emulator.createSession(website.websiteId, { unread: 2 });
  const harness: Harness = {
    emulator,
    website,
    sessionId,
    conversationUrl: (session = sessionId, websiteId = website.websiteId) =>
      `${emulator.url}/v1/website/${websiteId}/conversation/${session}`,
    headers: (as = website) => ({
      Authorization: basicAuth(as.identifier, as.key),
      'X-Crisp-Tier': as.tier,
      Accept: 'application/json',
    }),
    get: (init = {}) =>
      fetch(harness.conversationUrl(init.sessionId), {
        headers: init.headers ?? harness.headers(),
        signal: init.signal ?? null,
      }),
    markRead: (body, session = sessionId) =>
      fetch(`${harness.conversationUrl(session)}/read`, {
        method: 'PATCH',
        headers: { ...harness.headers(), 'Content-Type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
  };
  return harness;
}

/** One web hook as the receiver got it. */
export interface ReceivedHook {
  headers: IncomingHttpHeaders;
  text: string;
  /** `X-Crisp-Signature`, as sent. */
  signature: string;
  /** `X-Crisp-Request-Timestamp`, as sent. */
  timestamp: string;
}

/** A web hook target on 127.0.0.1: keeps every hook it gets and answers with `answer`. */
export interface HookReceiver {
  url: string;
  received: ReceivedHook[];
  /** The status it answers with. Defaults to `200`. */
  answer: number;
  close(): Promise<void>;
}

export async function startHookReceiver(): Promise<HookReceiver> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      receiver.received.push({
        headers: req.headers,
        text: Buffer.concat(chunks).toString('utf8'),
        signature: String(req.headers['x-crisp-signature']),
        timestamp: String(req.headers['x-crisp-request-timestamp']),
      });
      res.writeHead(receiver.answer, { 'Content-Type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiver: HookReceiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/crisp`,
    received: [],
    answer: 200,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return receiver;
}
