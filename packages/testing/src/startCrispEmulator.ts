import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { handleControl } from './controlApi.js';
import { type ApiContext, handleApi } from './crispApi.js';
import { FaultQueue } from './faults.js';
import { applyCors, sendJson } from './http.js';
import { describeValue } from './ids.js';
import { loadFixture } from './loadFixture.js';
import { DailyQuota } from './quota.js';
import type {
  CrispEmulator,
  CrispEmulatorOptions,
  EmulatorRequest,
  RequestFilter,
} from './types.js';
import { checkWebhookTarget, WebhookingState, WebhookSender } from './webhooks.js';

const defaults = {
  port: 0,
  hostname: '127.0.0.1',
  dailyQuota: 5000,
  cors: true,
  now: Date.now,
  webhook: null,
} satisfies Required<CrispEmulatorOptions>;

function resolveOptions(options: CrispEmulatorOptions): Required<CrispEmulatorOptions> {
  const settings = { ...defaults, ...stripUndefined(options) };
  const { port, hostname, cors, now } = settings;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError(
      `startCrispEmulator: port must be an integer from 0 to 65535, got ${describeValue(port)}`,
    );
  }
  if (!isLoopback(hostname)) {
    throw new TypeError(
      `startCrispEmulator: hostname must be a loopback address (127.0.0.1, ::1, localhost), got ${describeValue(hostname)}`,
    );
  }
  if (typeof cors !== 'boolean') {
    throw new TypeError(`startCrispEmulator: cors must be a boolean, got ${describeValue(cors)}`);
  }
  if (typeof now !== 'function') {
    throw new TypeError(`startCrispEmulator: now must be a function, got ${describeValue(now)}`);
  }
  return settings;
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

function isLoopback(hostname: unknown): hostname is string {
  return (
    typeof hostname === 'string' &&
    (hostname === 'localhost' || hostname === '::1' || /^127(\.\d{1,3}){3}$/.test(hostname))
  );
}

/** Starts a Crisp REST API emulator: a real HTTP server on a loopback address. */
export async function startCrispEmulator(
  options: CrispEmulatorOptions = {},
): Promise<CrispEmulator> {
  const settings = resolveOptions(options);
  const conversation = loadFixture<{ data: Record<string, unknown> }>('conversation.json');
  const webhooks = new WebhookSender(checkWebhookTarget(settings.webhook), settings.now);
  const state = new WebhookingState(settings.now, conversation.data, webhooks);
  const quota = new DailyQuota(settings.dailyQuota, settings.now);
  const faults = new FaultQueue();
  const listeners = new Set<(entry: EmulatorRequest) => void>();
  const sockets = new Set<Socket>();
  const pendingDelays = new Set<() => void>();
  let log: EmulatorRequest[] = [];
  let closed: Promise<void> | null = null;

  const api: ApiContext = {
    state,
    quota,
    faults,
    fixtures: {
      conversationTemplate: conversation.data,
      unauthorized: loadFixture('error-unauthorized.json'),
      notFound: loadFixture('error-not-found.json'),
      rateLimited: loadFixture('error-rate-limited.json'),
      html: loadFixture('error-502.html'),
    },
    record(entry) {
      const frozen = Object.freeze(entry);
      log.push(frozen);
      for (const listener of [...listeners]) {
        try {
          listener(frozen);
        } catch (error) {
          // A failing test listener must not take the server down with it.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    },
    delay(ms) {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          pendingDelays.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        pendingDelays.add(done);
      });
    },
    isClosed: () => closed !== null,
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (settings.cors) applyCors(req, res);
    const path = pathOf(req.url);
    if (req.method === 'OPTIONS') {
      req.resume();
      if (settings.cors) {
        res.writeHead(204, { 'Content-Length': '0' });
        res.end();
      } else {
        sendJson(res, 404, api.fixtures.notFound);
      }
      return;
    }
    if (path === '/_emulator' || path.startsWith('/_emulator/')) {
      return handleControl(emulator, req, res, path);
    }
    return handleApi(api, req, res, path);
  };

  const server = createServer({ keepAlive: true }, (req, res) => {
    handle(req, res).catch(() => {
      if (res.headersSent || res.destroyed) res.destroy();
      else sendJson(res, 500, { error: true, reason: 'server_error', data: {} });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const url = `http://${host}:${address.port}`;
  const emulator: CrispEmulator = {
    url,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const done of [...pendingDelays]) done();
        webhooks.close();
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
    createWebsite: (options) => state.createWebsite(options),
    restOptions: ({ websiteId, identifier, key, tier }) => ({
      websiteId,
      identifier,
      key,
      tier,
      baseUrl: url,
    }),
    createSession: (websiteId, options) => state.createSession(websiteId, options),
    deleteSession: (websiteId, sessionId) => state.deleteSession(websiteId, sessionId),
    setSubscribed: (websiteId, subscribed) => state.setSubscribed(websiteId, subscribed),
    setCacheHits: (reads) => state.setCacheHits(reads),
    operatorSends: (websiteId, sessionId, count) =>
      state.operatorSends(websiteId, sessionId, count),
    visitorSends: (websiteId, sessionId, count) => state.visitorSends(websiteId, sessionId, count),
    visitorReads: (websiteId, sessionId) => state.visitorReads(websiteId, sessionId),
    unreadOf: (websiteId, sessionId) => state.unreadOf(websiteId, sessionId),
    fault: (fault, options) => faults.add(fault, options),
    clearFaults: () => faults.clear(),
    get requests() {
      return [...log];
    },
    requestCount: (filter = {}) => log.filter((entry) => matches(entry, filter)).length,
    clearRequests() {
      log = [];
    },
    setDailyQuota: (limit) => quota.setLimit(limit),
    resetQuota: () => quota.reset(),
    onRequest(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    setWebhook(target, options = {}) {
      const { websiteId } = options;
      if (websiteId !== undefined && (typeof websiteId !== 'string' || !state.website(websiteId))) {
        throw new TypeError(
          `crisp emulator: websiteId must be the id of a website created on this emulator, got ${describeValue(websiteId)}`,
        );
      }
      webhooks.set(checkWebhookTarget(target), websiteId);
    },
    get webhookDeliveries() {
      return webhooks.log;
    },
    webhooksDelivered: () => webhooks.settled(),
    clearWebhookDeliveries: () => webhooks.clear(),
    redeliverWebhooks: (filter) => webhooks.redeliver(filter),
  };
  return emulator;
}

function pathOf(url: string | undefined): string {
  return (url ?? '/').split(/[?#]/, 1)[0] || '/';
}

function matches(entry: EmulatorRequest, filter: RequestFilter): boolean {
  return (
    (filter.method === undefined || entry.method === filter.method) &&
    (filter.websiteId === undefined || entry.websiteId === filter.websiteId) &&
    (filter.sessionId === undefined || entry.sessionId === filter.sessionId) &&
    (filter.status === undefined || entry.status === filter.status)
  );
}
