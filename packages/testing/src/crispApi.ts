import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseBasicAuth, safeEqual } from './credentials.js';
import type { CrispState } from './crispState.js';
import type { FaultQueue } from './faults.js';
import { parseJsonBody, readBody, send } from './http.js';
import { isSessionId, isWebsiteId } from './ids.js';
import type { DailyQuota } from './quota.js';
import type { EmulatedWebsite, EmulatorRequest, Fault } from './types.js';

/** The fixture bodies the API answers with, read once at start. */
export interface ApiFixtures {
  conversationTemplate: Record<string, unknown>;
  unauthorized: unknown;
  notFound: unknown;
  rateLimited: unknown;
  html: string;
}

export interface ApiContext {
  state: CrispState;
  quota: DailyQuota;
  faults: FaultQueue;
  fixtures: ApiFixtures;
  /** Adds an answered request to the log and tells the listeners. */
  record(entry: EmulatorRequest): void;
  /** Waits, or resolves early when the emulator closes. */
  delay(ms: number): Promise<void>;
  isClosed(): boolean;
}

const invalidSession = { error: true, reason: 'invalid_session', data: {} };
const notAllowed = { error: true, reason: 'not_allowed', data: {} };
// What Crisp answers every call of a plugin that is not installed on the website (a Crisp
// maintainer in node-crisp-api issue #31).
const notSubscribed = { error: true, reason: 'not_subscribed', data: {} };
const invalidData = { error: true, reason: 'invalid_data', data: {} };
const serverError = { error: true, reason: 'server_error', data: {} };
const dispatched = { error: false, reason: 'dispatched', data: {} };
// The emulator's own answer, not Crisp's: a route Crisp has that the emulator does not play.
const notImplemented = { error: true, reason: 'not_implemented', data: {} };
const jsonType = 'application/json; charset=utf-8';

/** Ends the response once and logs it. */
interface Reply {
  send(status: number, contentType: string, text: string, headers?: Record<string, string>): void;
  json(status: number, value: unknown, headers?: Record<string, string>): void;
  /** Destroys the connection without answering. */
  drop(): void;
}

/** Answers one call to the emulated Crisp REST API, and logs it. */
export async function handleApi(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const method = req.method ?? 'GET';
  const { websiteId, sessionId, route, crisp } = routeOf(method, path);
  const token = authenticate(ctx, req.headers.authorization);
  const tierHeader = req.headers['x-crisp-tier'];
  const tier = typeof tierHeader === 'string' ? tierHeader : null;
  const entry: EmulatorRequest = {
    method,
    path: redact(ctx, path),
    websiteId: websiteId === null ? null : redact(ctx, websiteId),
    sessionId: sessionId === null ? null : redact(ctx, sessionId),
    status: 0,
    tier,
    authorized: token !== null,
    fault: null,
    at: Date.now(),
  };

  let logged = false;
  const log = (status: number) => {
    if (logged) return;
    logged = true;
    ctx.record({ ...entry, status });
  };
  // A request that ends without an answer (dropped, hung then aborted, closed) is logged as 0.
  res.on('close', () => log(0));
  const reply: Reply = {
    send(status, contentType, text, headers) {
      if (res.destroyed || res.headersSent) return;
      send(res, status, contentType, text, headers);
      log(status);
    },
    json(status, value, headers) {
      reply.send(status, jsonType, JSON.stringify(value), headers);
    },
    drop() {
      log(0);
      res.socket?.destroy();
    },
  };
  const json = reply.json;

  const body = await readBody(req);
  if (res.destroyed) return;

  const fault = ctx.faults.take(method, sessionId);
  if (fault) {
    entry.fault = fault.type;
    if (fault.type === 'latency') {
      await ctx.delay(fault.ms);
      if (ctx.isClosed() || res.destroyed) return;
    } else {
      answerFault(ctx, fault, reply, websiteId, sessionId);
      return;
    }
  }

  if (!token) return json(401, ctx.fixtures.unauthorized);
  if (!crisp) return json(404, ctx.fixtures.notFound);
  if (route === null) {
    // Checked like any call, but not counted: the call never reached a conversation.
    const otherWebsite = isWebsiteId(websiteId) && websiteId !== token.websiteId;
    if (tier !== token.tier || otherWebsite) return json(403, notAllowed);
    return json(501, notImplemented);
  }
  if (!isWebsiteId(websiteId) || !isSessionId(sessionId)) return json(400, invalidSession);
  if (token.websiteId !== websiteId || tier !== token.tier) return json(403, notAllowed);
  if (!ctx.state.isSubscribed(websiteId)) return json(404, notSubscribed);
  if (!ctx.quota.take(websiteId)) return json(429, ctx.fixtures.rateLimited);
  if (!ctx.state.hasSession(websiteId, sessionId)) return json(404, ctx.fixtures.notFound);

  if (route === 'conversation' || route === 'exists') {
    // Node's server sends no body for HEAD: the same answer serves both. Only a GET meets the
    // cache layer's stale copy.
    const { data, hit } =
      route === 'conversation'
        ? ctx.state.read(websiteId, sessionId)
        : { data: ctx.state.conversation(websiteId, sessionId), hit: false };
    return json(
      200,
      { error: false, reason: 'resolved', data },
      { 'Bloom-Status': hit ? 'HIT' : 'MISS' },
    );
  }
  const reader = readMark(body);
  if (reader === null) return json(400, invalidData);
  if (reader === 'visitor') ctx.state.visitorReads(websiteId, sessionId);
  else ctx.state.operatorReads(websiteId, sessionId);
  return json(202, dispatched);
}

/** Where an API path leads: its ids, and the route the emulator plays, if any. */
interface ApiRoute {
  websiteId: string | null;
  sessionId: string | null;
  /** `conversation` (GET), `exists` (HEAD) and `read` (PATCH …/read); `null` for any other call. */
  route: 'conversation' | 'exists' | 'read' | null;
  /** Whether the path is under `/v1/`, where Crisp's REST API lives. */
  crisp: boolean;
}

function routeOf(method: string, path: string): ApiRoute {
  const segments = path.split('/').filter((segment) => segment !== '');
  const crisp = segments[0] === 'v1';
  const websiteId = crisp && segments[1] === 'website' ? (segments[2] ?? null) : null;
  const sessionId =
    websiteId !== null && segments[3] === 'conversation' ? (segments[4] ?? null) : null;
  const tail = sessionId === null ? null : segments.slice(5).join('/');
  let route: ApiRoute['route'] = null;
  if (tail === '' && method === 'GET') route = 'conversation';
  else if (tail === '' && method === 'HEAD') route = 'exists';
  else if (tail === 'read' && method === 'PATCH') route = 'read';
  return { websiteId, sessionId, route, crisp };
}

function answerFault(
  ctx: ApiContext,
  fault: Exclude<Fault, { type: 'latency' }>,
  reply: Reply,
  websiteId: string | null,
  sessionId: string | null,
): void {
  switch (fault.type) {
    case 'server-error':
      reply.json(fault.status ?? 500, serverError);
      break;
    case 'rate-limit': {
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers['Retry-After'] = String(fault.retryAfter);
      reply.json(fault.status ?? 429, ctx.fixtures.rateLimited, headers);
      break;
    }
    case 'html':
      reply.send(fault.status ?? 502, 'text/html; charset=utf-8', ctx.fixtures.html);
      break;
    case 'truncated-json': {
      const template = ctx.fixtures.conversationTemplate;
      const data = ctx.state.conversation(
        isWebsiteId(websiteId) ? websiteId : String(template.website_id),
        isSessionId(sessionId) ? sessionId : String(template.session_id),
      );
      const whole = JSON.stringify({ error: false, reason: 'resolved', data });
      reply.send(200, jsonType, whole.slice(0, whole.length >> 1));
      break;
    }
    case 'body':
      reply.json(fault.status ?? 200, fault.body);
      break;
    case 'drop':
      reply.drop();
      break;
    case 'hang':
      // Logged with status 0 when the client gives up or the emulator closes.
      break;
  }
}

/** The website whose token matches the Basic credentials; every token is compared. */
function authenticate(ctx: ApiContext, header: string | undefined): EmulatedWebsite | null {
  const credentials = parseBasicAuth(header);
  if (!credentials) return null;
  let found: EmulatedWebsite | null = null;
  for (const website of ctx.state.websites()) {
    const identifierMatches = safeEqual(credentials.identifier, website.identifier);
    const keyMatches = safeEqual(credentials.key, website.key);
    if (identifierMatches && keyMatches) found = website;
  }
  return found;
}

/**
 * Whose messages a mark-as-read body marks read, or `null` when the body is malformed.
 * `from: "operator"`: the visitor read the operator's messages; `from: "user"` or no `from`: an
 * operator read the visitor's (a REST token acts for an operator). Every field is optional, as in
 * the official client's type; the emulator keeps counts, not messages, so `fingerprints` (numbers
 * or digit strings, as its docs show) mark every message of that side read.
 */
function readMark(text: string | null): 'visitor' | 'operator' | null {
  let body: unknown;
  try {
    body = parseJsonBody(text) ?? {};
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { from, origin, fingerprints } = body as Record<string, unknown>;
  if (from !== undefined && from !== 'operator' && from !== 'user') return null;
  if (origin !== undefined && (typeof origin !== 'string' || origin === '')) return null;
  if (
    fingerprints !== undefined &&
    !(Array.isArray(fingerprints) && fingerprints.every(isFingerprint))
  ) {
    return null;
  }
  return from === 'operator' ? 'visitor' : 'operator';
}

function isFingerprint(value: unknown): boolean {
  return (
    (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) ||
    (typeof value === 'string' && /^\d{1,16}$/.test(value))
  );
}

// A client that put its key in the URL must not find it in the request log.
function redact(ctx: ApiContext, text: string): string {
  let result = text;
  for (const website of ctx.state.websites()) {
    if (result.includes(website.key)) result = result.split(website.key).join('[redacted]');
  }
  return result;
}
