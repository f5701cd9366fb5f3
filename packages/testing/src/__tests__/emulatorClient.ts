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
