import { normalizeSessionId } from '@crisp-unread/core';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { RateLimiter } from './rateLimiter';
import type { RelayEnv } from './requestClient';
import { errorBody, json, rateLimited } from './responses';
import { verifyCrispSignature, verifyCrispSignatureBytes } from './signature';
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
  /** The web hook secret; without it the route answers 404. */
  secret: string | undefined;
  /** The relay's website id, lower-cased. */
  websiteId: string;
  maxBytes: number;
  toleranceMs: number;
  now: () => number;
  store: RelayStore;
  /** Names the request's client. */
  client(c: Context<RelayEnv>): string;
  /** Takes a token for each failed signature, per client; `null` for no limit. */
  failedSignatures: RateLimiter | null;
  /**
   * Tells the economy a session's conversation changed: its fresh count, `null` when it could not
   * be read afresh, or `deferred` when nobody watches or caches it (read on the next demand).
   */
  hook(sessionId: string): Promise<{ count: number | null; deferred?: true }>;
}

// Crisp's hooks nest three levels deep; the limit only keeps JSON.stringify's recursion short.
const maxCanonicalDepth = 32;

/**
 * `POST /webhooks/crisp`: the failed-signature limit first (no work for a client that keeps
 * failing), the body capped by hono's `bodyLimit`, the signature checked over the raw bytes, and
 * only then the body parsed. Every body error is a 4xx.
 */
export function mountWebhookRoute(routes: Hono<RelayEnv>, s: WebhookRouteSettings): void {
  const forged = () =>
    errorBody(401, 'invalid-signature', 'The web hook signature does not match.');
  const invalidBody = (message: string) => errorBody(400, 'invalid-body', message);
  const limitBody = bodyLimit({
    maxSize: s.maxBytes,
    onError: () =>
      errorBody(413, 'payload-too-large', `A web hook body may hold ${s.maxBytes} bytes.`),
  });

  routes.post(
    '/webhooks/crisp',
    async (c, next) => {
      if (s.secret === undefined) {
        return errorBody(404, 'not-found', 'Web hooks are not configured.');
      }
      const waitMs = s.failedSignatures?.wait(s.client(c)) ?? 0;
      if (waitMs > 0) return rateLimited(waitMs, 'Too many web hooks with a bad signature.');
      await next();
    },
    async (c, next) => {
      // `next` never throws (hono hands the handler's errors to onError), so what lands here is
      // the body failing while `bodyLimit` reads it: the client's doing, not a 500.
      try {
        return await limitBody(c, next);
      } catch {
        return invalidBody('The web hook body could not be read.');
      }
    },
    async (c) => {
      const secret = s.secret as string;
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await c.req.arrayBuffer());
      } catch {
        return invalidBody('The web hook body could not be read.');
      }
      const timestamp = c.req.header('x-crisp-request-timestamp') ?? '';
      const signature = c.req.header('x-crisp-signature') ?? '';
      if (!/^\d{1,16}$/.test(timestamp) || !(await signed(secret, timestamp, bytes, signature))) {
        s.failedSignatures?.take(s.client(c));
        return forged();
      }
      if (Math.abs(s.now() - Number(timestamp)) > s.toleranceMs) {
        return errorBody(
          401,
          'stale-webhook',
          'The web hook timestamp is too old (or in the future).',
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        return invalidBody('The web hook body is not JSON.');
      }
      // A signed hook replayed within the tolerance window is acknowledged and ignored.
      if (!(await s.store.acquire(`hook:${signature.toLowerCase()}`, s.toleranceMs * 2))) {
        return json(200, { ok: true, ignored: 'duplicate' });
      }
      const hook = readHook(body);
      if (!hook || hook.websiteId !== s.websiteId) {
        return json(200, { ok: true, ignored: 'website' });
      }
      if (!countEvents.has(hook.event)) return json(200, { ok: true, ignored: 'event' });
      const sessionId = normalizeSessionId(hook.sessionId);
      if (sessionId === null) return json(200, { ok: true, ignored: 'session' });
      return json(200, { ok: true, ...(await s.hook(sessionId)) });
    },
  );
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

/** The fields of a Crisp web hook the relay needs, or `null`. */
function readHook(body: unknown): { websiteId: string; event: string; sessionId: unknown } | null {
  if (typeof body !== 'object' || body === null) return null;
  const { website_id, event, data } = body as Record<string, unknown>;
  if (typeof website_id !== 'string' || typeof event !== 'string') return null;
  const sessionId =
    typeof data === 'object' && data !== null
      ? (data as Record<string, unknown>).session_id
      : undefined;
  return { websiteId: website_id.toLowerCase(), event, sessionId };
}
