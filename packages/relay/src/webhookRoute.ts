import { normalizeSessionId } from '@crisp-unread/core';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ClientLimit } from './clientLimits';
import type { HookEffect } from './countReader';
import type { HookHealth } from './hookHealth';
import { hookTimeMs } from './hookTimestamp';
import type { RelayEnv } from './requestClient';
import { errorBody, json, rateLimited } from './responses';
import {
  hookDigest,
  tokensMatch,
  verifyCrispSignature,
  verifyCrispSignatureBytes,
} from './signature';
import type { RelayStore } from './types';

/** The web hook events after which a conversation's unread count may have changed. */
export const countEvents: ReadonlySet<string> = new Set([
  'message:send',
  'message:received',
  'message:acknowledge:read:send',
  'message:acknowledge:read:received',
  'message:acknowledge:unread:send',
  'message:updated',
  'message:removed',
]);

export interface WebhookRouteSettings {
  /** The Plugin Hooks' signing secret (`X-Crisp-Signature`), or `undefined`. */
  secret: string | undefined;
  /** The token Website Hooks carry in their URL (`?token=`), or `undefined`. */
  token: string | undefined;
  /** The relay's website id, lower-cased. */
  websiteId: string;
  maxBytes: number;
  toleranceMs: number;
  now: () => number;
  store: RelayStore;
  /** Names the request's client. */
  client(c: Context<RelayEnv>): string;
  /**
   * The failed-authentication limit per client, `null` for none: a point taken before the body
   * is read, given back once the hook proves authentic.
   */
  failedSignatures: ClientLimit | null;
  /** Counts what was taken and refused, for `/healthz`. */
  health: HookHealth;
  /**
   * Tells the economy a session's conversation changed: its fresh count, `null` when it could not
   * be read afresh, or `deferred` when nobody watches or caches it (read on the next demand).
   */
  hook(sessionId: string, effect: HookEffect): Promise<{ count: number | null; deferred?: true }>;
  /** Tells the economy Crisp deleted a session's conversation (`session:removed`). */
  removed(sessionId: string): Promise<void>;
}

// Crisp's hooks nest three levels deep; the limit only keeps JSON.stringify's recursion short.
const maxCanonicalDepth = 32;

type Authentication = { ok: true; signed: boolean } | { ok: false; reason: 'signature' | 'token' };

/**
 * `POST /webhooks/crisp`: the failed-authentication limit first (no work for a client that keeps
 * failing), the body capped by hono's `bodyLimit`, the signature or URL token checked over the raw
 * bytes, and only then the body parsed; then the timestamp (seconds or milliseconds, within
 * `toleranceMs`) and the memory of hooks already taken. Every body error is a 4xx.
 */
export function mountWebhookRoute(routes: Hono<RelayEnv>, s: WebhookRouteSettings): void {
  routes.post('/webhooks/crisp', failureLimit(s), bodyCap(s), async (c) => {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await c.req.arrayBuffer());
    } catch {
      return invalidBody(s.health, 'The web hook body could not be read.');
    }
    const header = c.req.header('x-crisp-request-timestamp') ?? '';
    const auth = await authenticate(s, c, header, bytes);
    if (!auth.ok) return authenticationRefused(s, auth.reason, header);
    await s.failedSignatures?.giveBack(s.client(c));
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return invalidBody(s.health, 'The web hook body is not JSON.');
    }
    // A Website Hook may lack the header: its body's `timestamp` then (it is not signed anyway).
    const timestamp = header || bodyTimestamp(body);
    const late = checkTimestamp(s, timestamp);
    if (late) return late;
    if (!(await takenOnce(s, c, auth.signed, timestamp, bytes))) {
      s.health.rejected('duplicate', 'already taken');
      return json(200, { ok: true, ignored: 'duplicate' });
    }
    return dispatch(s, body);
  });
}

/**
 * The 404 of a relay without hooks, and the failed-authentication limit: a point taken before the
 * body is read, so that concurrent bad hooks cannot all pass a look that precedes their failures;
 * an authentic hook gets its point back.
 */
function failureLimit(s: WebhookRouteSettings): MiddlewareHandler<RelayEnv> {
  return async (c, next) => {
    if (s.secret === undefined && s.token === undefined) {
      return errorBody(404, 'not-found', 'Web hooks are not configured.');
    }
    const waitMs = (await s.failedSignatures?.take(s.client(c))) ?? 0;
    if (waitMs > 0) {
      s.health.rejected('limited', 'too many web hooks failed authentication from one client');
      return rateLimited(waitMs, 'Too many web hooks with a bad signature or token.');
    }
    await next();
  };
}

/** hono's `bodyLimit` at `maxBytes`: a 413 past it, a 400 for a body that fails while read. */
function bodyCap(s: WebhookRouteSettings): MiddlewareHandler<RelayEnv> {
  const limitBody = bodyLimit({
    maxSize: s.maxBytes,
    onError: () => {
      s.health.rejected('size', `a body over maxWebhookBytes (${s.maxBytes})`);
      return errorBody(413, 'payload-too-large', `A web hook body may hold ${s.maxBytes} bytes.`);
    },
  });
  return async (c, next) => {
    // `next` never throws (hono hands the handler's errors to onError), so what lands here is
    // the body failing while `bodyLimit` reads it: the client's doing, not a 500.
    try {
      return await limitBody(c, next);
    } catch {
      return invalidBody(s.health, 'The web hook body could not be read.');
    }
  };
}

function invalidBody(health: HookHealth, message: string): Response {
  health.rejected('body', message);
  return errorBody(400, 'invalid-body', message);
}

/** A hook is authentic by a valid signature or a valid URL token; a wrong one of either fails. */
async function authenticate(
  s: WebhookRouteSettings,
  c: Context<RelayEnv>,
  timestamp: string,
  bytes: Uint8Array,
): Promise<Authentication> {
  const signature = c.req.header('x-crisp-signature') ?? '';
  const token = c.req.query('token');
  let tokenOk = false;
  if (s.token !== undefined && token !== undefined) {
    if (!(await tokensMatch(token, s.token))) return { ok: false, reason: 'token' };
    tokenOk = true;
  }
  if (s.secret !== undefined && signature !== '') {
    const valid =
      /^\d{1,16}$/.test(timestamp) && (await signed(s.secret, timestamp, bytes, signature));
    if (!valid) return { ok: false, reason: 'signature' };
    return { ok: true, signed: true };
  }
  if (tokenOk) return { ok: true, signed: false };
  // Nothing presented: say what this relay expects.
  return { ok: false, reason: s.secret === undefined ? 'token' : 'signature' };
}

/** The 401 of a hook that failed authentication, its clock skew noted when readable. */
function authenticationRefused(
  s: WebhookRouteSettings,
  reason: 'signature' | 'token',
  header: string,
): Response {
  const time = hookTimeMs(header);
  const skew = time ? s.now() - time.ms : null;
  if (reason === 'token') {
    s.health.rejected('token', 'the URL token is missing or wrong', skew);
    return errorBody(401, 'invalid-token', 'The web hook URL token does not match.');
  }
  s.health.rejected('signature', 'X-Crisp-Signature is missing or does not match', skew);
  return errorBody(401, 'invalid-signature', 'The web hook signature does not match.');
}

/** A 401 for a timestamp missing, unreadable or beyond `toleranceMs`; `null` when within it. */
function checkTimestamp(s: WebhookRouteSettings, timestamp: string): Response | null {
  const time = hookTimeMs(timestamp);
  if (time === null) {
    s.health.rejected('timestamp', 'no readable X-Crisp-Request-Timestamp');
    return errorBody(401, 'stale-webhook', 'The web hook timestamp is missing or unreadable.');
  }
  s.health.measured(time.ms, time.unit);
  const skew = s.now() - time.ms;
  if (Math.abs(skew) <= s.toleranceMs) return null;
  s.health.rejected(
    'timestamp',
    `its timestamp (read in ${time.unit === 's' ? 'seconds' : 'milliseconds'}) is more than webhookToleranceMs (${s.toleranceMs} ms) from this clock`,
    skew,
  );
  return errorBody(401, 'stale-webhook', 'The web hook timestamp is too old (or in the future).');
}

/**
 * Whether this is the hook's first arrival: a retry or replay within the whole window (twice the
 * tolerance outlives any timestamp still accepted) is acknowledged and ignored. Signatures travel
 * in clear, so an unsigned hook is known by a digest of what it carries.
 */
async function takenOnce(
  s: WebhookRouteSettings,
  c: Context<RelayEnv>,
  signedHook: boolean,
  timestamp: string,
  bytes: Uint8Array,
): Promise<boolean> {
  const signature = c.req.header('x-crisp-signature') ?? '';
  const key = signedHook ? signature.toLowerCase() : await hookDigest(timestamp, bytes);
  return s.store.acquire(`hook:${key}`, s.toleranceMs * 2);
}

/** An authentic, first-time hook of this website: a count event re-reads, `session:removed` forgets. */
async function dispatch(s: WebhookRouteSettings, body: unknown): Promise<Response> {
  const hook = readHook(body);
  if (!hook || hook.websiteId !== s.websiteId) {
    s.health.rejected('website', 'it names another website (or none)');
    return json(200, { ok: true, ignored: 'website' });
  }
  s.health.accepted();
  const removed = hook.event === 'session:removed';
  if (!removed && !countEvents.has(hook.event)) {
    return json(200, { ok: true, ignored: 'event' });
  }
  const sessionId = normalizeSessionId(hook.sessionId);
  if (sessionId === null) return json(200, { ok: true, ignored: 'session' });
  if (removed) {
    await s.removed(sessionId);
    return json(200, { ok: true, removed: true });
  }
  return json(200, { ok: true, ...(await s.hook(sessionId, hookEffect(hook))) });
}

/** The body's `timestamp` as decimal text, or `''`. */
function bodyTimestamp(body: unknown): string {
  const value =
    typeof body === 'object' && body !== null
      ? (body as Record<string, unknown>).timestamp
      : undefined;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
    ? String(value)
    : '';
}

/**
 * Whether Crisp signed these bytes. Crisp signs `JSON.stringify(body)` and sends that same
 * string, so the raw bytes are checked first, without parsing. A hop that re-serialised the JSON
 * (spacing, escapes) would change the bytes but not the value, which is what Crisp's own client
 * checks; so a shallow body is also tried as `JSON.stringify(JSON.parse(bytes))`. Deep bodies are
 * not parsed before a signature holds: JSON.stringify recurses and would throw on them.
 */
async function signed(
  secret: string,
  timestamp: string,
  bytes: Uint8Array,
  signature: string,
): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/i.test(signature)) return false;
  if (await verifyCrispSignatureBytes(secret, timestamp, bytes, signature)) return true;
  if (!shallowJson(bytes, maxCanonicalDepth)) return false;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return false;
  }
  return verifyCrispSignature(secret, timestamp, value, signature);
}

/** Whether JSON text nests arrays and objects at most `maxDepth` deep, read without parsing. */
export function shallowJson(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      // A backslash escapes the next byte: `\"` does not end the string.
      if (byte === 0x5c) i++;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > maxDepth) return false;
    } else if (byte === 0x7d || byte === 0x5d) depth--;
  }
  return true;
}

interface Hook {
  websiteId: string;
  event: string;
  sessionId: unknown;
  /** `data.from` and `data.type` of a message event, when given. */
  from: unknown;
  type: unknown;
}

/** The fields of a Crisp web hook the relay needs, or `null`. */
function readHook(body: unknown): Hook | null {
  if (typeof body !== 'object' || body === null) return null;
  const { website_id, event, data } = body as Record<string, unknown>;
  if (typeof website_id !== 'string' || typeof event !== 'string') return null;
  const fields = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  return {
    websiteId: website_id.toLowerCase(),
    event,
    sessionId: fields.session_id,
    from: fields.from,
    type: fields.type,
  };
}

/**
 * What a hook's event does to `unread.visitor` (crisp-api.md): an operator's message raises it by
 * one, the visitor's own message leaves it. Anything else (acknowledgements, edits, removals, a
 * private note, a message whose sender is not the one its event implies) is learnt by a read.
 */
export function hookEffect(hook: Pick<Hook, 'event' | 'from' | 'type'>): HookEffect {
  if (hook.type === 'note') return 'unknown';
  if (hook.event === 'message:received' && (hook.from ?? 'operator') === 'operator') return 'raise';
  if (hook.event === 'message:send' && (hook.from ?? 'user') === 'user') return 'none';
  return 'unknown';
}
