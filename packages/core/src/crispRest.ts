import { parseRetryAfter } from './backoff';
import { isBrowser } from './environment';
import { misconfigured, UnreadError, type UnreadErrorCode } from './errors';
import { type FetchLike, requestJson } from './http';
import { describeValue, isSessionId, isWebsiteId } from './ids';
import { readErrorReason, readVisitorCount } from './schema';
import type { SourceReadContext, UnreadSource } from './types';

/** The token tiers Crisp knows. */
export type CrispTier = 'plugin' | 'website' | 'user';

/** Options of `crispRest`: a Crisp REST API token. The key is a secret: keep it on a server. */
export interface CrispRestOptions {
  /** The website id, a UUID. */
  websiteId: string;
  /** The token identifier. */
  identifier: string;
  /** The token key. A secret: it never appears in a state, an error or a log line. */
  key: string;
  /** The API's origin. Defaults to `https://api.crisp.chat`. */
  baseUrl?: string | undefined;
  /** Sent as `X-Crisp-Tier`. Defaults to `'plugin'`. */
  tier?: CrispTier | undefined;
  /** A deadline for each request, body included. Defaults to `10000`. */
  timeoutMs?: number | undefined;
  /** The `fetch` to use. Defaults to the global one, looked up at each call. */
  fetch?: FetchLike | undefined;
  /**
   * Allow the key into a browser. Anyone can read it there: use the relay instead.
   * Defaults to `false`.
   */
  dangerouslyAllowBrowser?: boolean | undefined;
}

/** A source reading counts from Crisp's REST API with a token. */
export interface CrispRestSource extends UnreadSource {
  readonly kind: 'crisp-rest';
  readonly websiteId: string;
  /** Crisp's REST API answers fresh counts only. */
  read(sessionId: string, context: SourceReadContext): Promise<number>;
  markAsRead(sessionId: string, context: SourceReadContext): Promise<void>;
}

const service = 'The Crisp API';

/** Reads unread counts from Crisp's REST API (`GET /v1/website/{w}/conversation/{s}`). */
export function crispRest(options: CrispRestOptions): CrispRestSource {
  const {
    websiteId,
    identifier,
    key,
    baseUrl = 'https://api.crisp.chat',
    tier = 'plugin',
    timeoutMs = 10_000,
    fetch,
    dangerouslyAllowBrowser,
  } = options ?? misconfigured('crispRest() needs options.');
  const browser = isBrowser();
  if (browser && dangerouslyAllowBrowser !== true) {
    misconfigured(
      'crispRest() would expose its key in a browser: use crispRelay() and @crisp-unread/relay, ' +
        'or pass `dangerouslyAllowBrowser: true`.',
    );
  }
  if (!isWebsiteId(websiteId))
    misconfigured(`\`websiteId\` must be a UUID, got ${describeValue(websiteId)}.`);
  // Printable ASCII without spaces (`!` to `~`); the identifier without the colon Basic auth uses.
  if (!isToken(identifier, /^[!-9;-~]+$/) || !isToken(key, /^[!-~]+$/))
    misconfigured('`identifier` and `key` must be printable ASCII (no colon in the identifier).');
  if (!['plugin', 'website', 'user'].includes(tier))
    misconfigured(`\`tier\` must be plugin, website or user, got ${describeValue(tier)}.`);
  if (!(timeoutMs > 0 && Number.isFinite(timeoutMs)))
    misconfigured(`\`timeoutMs\` must be a positive number, got ${describeValue(timeoutMs)}.`);
  if (fetch !== undefined && typeof fetch !== 'function')
    misconfigured('`fetch` must be a function.');
  const origin = parseBaseUrl(baseUrl);
  const website = websiteId.toLowerCase();
  const headers: Record<string, string> = {
    Authorization: `Basic ${btoa(`${identifier}:${key}`)}`,
    'X-Crisp-Tier': tier,
    Accept: 'application/json',
  };
  if (!browser) headers['User-Agent'] = 'crisp-unread';

  /** A GET of the conversation, or a PATCH of `path` below it when there is a body. */
  const request = (sessionId: string, { signal }: SourceReadContext, path = '', body?: string) => {
    if (!isSessionId(sessionId))
      misconfigured(`the session id must be session_<uuid>, got ${describeValue(sessionId)}.`);
    return requestJson({
      url: `${origin}/v1/website/${website}/conversation/${sessionId}${path}`,
      method: body ? 'PATCH' : 'GET',
      headers: body ? { ...headers, 'Content-Type': 'application/json' } : headers,
      body,
      signal,
      timeoutMs,
      fetch,
      service,
      errorFor: crispError,
    });
  };

  return {
    kind: 'crisp-rest',
    scope: website,
    websiteId: website,
    async read(sessionId, context) {
      const { status, body } = await request(sessionId, context);
      // Only a 200 carries a conversation, as the Flutter plugin reads it.
      const count = status === 200 ? readVisitorCount(body) : undefined;
      if (count === undefined) {
        throw new UnreadError(
          'invalid-response',
          `${service} answered ${status} without a valid unread count.`,
          { status },
        );
      }
      return count;
    },
    async markAsRead(sessionId, context) {
      await request(sessionId, context, '/read', '{"from":"operator","origin":"chat"}');
    },
  };
}

const isToken = (value: unknown, pattern: RegExp): value is string =>
  typeof value === 'string' && pattern.test(value);

/**
 * The `UnreadError` for a Crisp error answer. Crisp's reasons are short snake_case words; anything
 * else is not repeated in the message, so a server that echoes a header back cannot put a
 * credential into an error.
 */
function crispError(status: number, body: unknown, response: Response): UnreadError {
  const reason = readErrorReason(body);
  const said = reason && /^[a-z]\w{0,47}$/i.test(reason) ? ` (${reason})` : '';
  const code =
    status === 404
      ? notFoundCode(reason)
      : ((
          {
            401: 'unauthorized',
            403: 'forbidden',
            420: 'rate-limited',
            429: 'rate-limited',
          } as Record<number, UnreadErrorCode>
        )[status] ?? (status < 500 ? 'invalid-response' : 'server'));
  const hint =
    status === 401
      ? ': check the identifier and key'
      : status === 403
        ? ': check the tier and the website'
        : code === 'misconfigured'
          ? ': the plugin is not installed on this website (subscribe it in the Marketplace)'
          : '';
  return new UnreadError(code, `${service} answered ${status}${said}${hint}.`, {
    status,
    retryAfterMs:
      code === 'rate-limited'
        ? parseRetryAfter(response.headers.get('retry-after'), Date.now())
        : undefined,
  });
}

/**
 * A 404 judged by its reason: Crisp answers `not_subscribed` to every call when the plugin is not
 * installed on the website, a setup error (`misconfigured`, status 404), never "session gone".
 * Only a missing conversation (`session_not_found`, or `not_found`: which one Crisp sends is not
 * documented) is `session-not-found`; any other 404 is not understood (`invalid-response`).
 */
function notFoundCode(reason: string | undefined): UnreadErrorCode {
  if (reason === 'not_subscribed') return 'misconfigured';
  if (reason === 'session_not_found' || reason === 'not_found') return 'session-not-found';
  return 'invalid-response';
}

/** The API's origin without a trailing slash: http(s), no credentials, query or fragment. */
function parseBaseUrl(baseUrl: unknown): string {
  try {
    const url = new URL(baseUrl as string);
    if (/^https?:$/.test(url.protocol) && !(url.username || url.password || url.search || url.hash))
      return url.href.replace(/\/+$/, '');
  } catch {}
  return misconfigured(`\`baseUrl\` must be an http(s) origin, got ${describeValue(baseUrl)}.`);
}
