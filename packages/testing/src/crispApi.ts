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

const conversationPath = /^\/v1\/website\/([^/]+)\/conversation\/([^/]+?)(\/read)?\/?$/;
const invalidSession = { error: true, reason: 'invalid_session', data: {} };
const notAllowed = { error: true, reason: 'not_allowed', data: {} };
const invalidData = { error: true, reason: 'invalid_data', data: {} };
const serverError = { error: true, reason: 'server_error', data: {} };
const dispatched = { error: false, reason: 'dispatched', data: {} };
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
  const match = conversationPath.exec(path);
  const websiteId = match?.[1] ?? null;
  const sessionId = match?.[2] ?? null;
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
  const route =
    match === null
      ? null
      : method === 'GET' && !match[3]
        ? 'conversation'
        : method === 'PATCH' && match[3]
          ? 'read'
          : null;
  if (route === null || websiteId === null || sessionId === null) {
    if (!ctx.quota.take(token.websiteId)) return json(429, ctx.fixtures.rateLimited);
    return json(404, ctx.fixtures.notFound);
  }
  if (!isWebsiteId(websiteId) || !isSessionId(sessionId)) return json(400, invalidSession);
  if (token.websiteId !== websiteId || tier !== token.tier) return json(403, notAllowed);
  if (!ctx.quota.take(websiteId)) return json(429, ctx.fixtures.rateLimited);
  if (!ctx.state.hasSession(websiteId, sessionId)) return json(404, ctx.fixtures.notFound);

  if (route === 'conversation') {
    const conversation = ctx.state.conversation(websiteId, sessionId);
    return json(
      200,
      { error: false, reason: 'resolved', data: conversation },
      {
        'Bloom-Status': 'MISS',
      },
    );
  }
  const from = readFrom(body);
  if (from === null) return json(400, invalidData);
  if (from === 'operator') ctx.state.visitorReads(websiteId, sessionId);
  else ctx.state.operatorReads(websiteId, sessionId);
  return json(202, dispatched);
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

/** The `from` of a valid mark-as-read body, or `null` when the body is malformed. */
function readFrom(text: string | null): 'operator' | 'user' | null {
  let body: unknown;
  try {
    body = parseJsonBody(text);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { from, origin, fingerprints } = body as Record<string, unknown>;
  if (from !== 'operator' && from !== 'user') return null;
  if (typeof origin !== 'string' || origin === '') return null;
  if (
    fingerprints !== undefined &&
    !(Array.isArray(fingerprints) && fingerprints.every((f) => Number.isFinite(f)))
  ) {
    return null;
  }
  return from;
}

// A client that put its key in the URL must not find it in the request log.
function redact(ctx: ApiContext, text: string): string {
  let result = text;
  for (const website of ctx.state.websites()) {
    if (result.includes(website.key)) result = result.split(website.key).join('[redacted]');
  }
  return result;
}
