import { isBrowser } from './environment';
import { misconfigured, UnreadError } from './errors';
import { type FetchLike, requestJson } from './http';
import { describeValue, isSessionId, isWebsiteId } from './ids';
import { readVisitorCount } from './schema';
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
  baseUrl?: string;
  /** Sent as `X-Crisp-Tier`. Defaults to `'plugin'`. */
  tier?: CrispTier;
  /** A deadline for each request, body included. Defaults to `10000`. */
  timeoutMs?: number;
  /** The `fetch` to use. Defaults to the global one, looked up at each call. */
  fetch?: FetchLike;
  /**
   * Allow the key into a browser. Anyone can read it there: use the relay instead.
   * Defaults to `false`.
   */
  dangerouslyAllowBrowser?: boolean;
}

/** A source reading counts from Crisp's REST API with a token. */
export interface CrispRestSource extends UnreadSource {
  readonly kind: 'crisp-rest';
  readonly websiteId: string;
  markAsRead(sessionId: string, context: SourceReadContext): Promise<void>;
}

const tiers: readonly CrispTier[] = ['plugin', 'website', 'user'];
const printableAscii = /^[\x21-\x7e]+$/;
const service = 'The Crisp API';

/** Reads unread counts from Crisp's REST API (`GET /v1/website/{w}/conversation/{s}`). */
export function crispRest(options: CrispRestOptions): CrispRestSource {
  if (typeof options !== 'object' || options === null)
    misconfigured('crispRest() needs an options object.');
  const {
    websiteId,
    identifier,
    key,
    baseUrl = 'https://api.crisp.chat',
    tier = 'plugin',
    timeoutMs = 10_000,
    fetch,
    dangerouslyAllowBrowser = false,
  } = options;
  if (isBrowser() && dangerouslyAllowBrowser !== true) {
    misconfigured(
      'crispRest() holds a REST key and refuses to run in a browser, where anyone can read the key. ' +
        'Serve counts from @crisp-unread/relay and use crispRelay() in the page, or pass ' +
        '`dangerouslyAllowBrowser: true` for a throwaway key.',
    );
  }
  if (!isWebsiteId(websiteId))
    misconfigured(`\`websiteId\` must be a UUID, got ${describeValue(websiteId)}.`);
  if (
    typeof identifier !== 'string' ||
    !printableAscii.test(identifier) ||
    identifier.includes(':')
  ) {
    misconfigured('`identifier` must be a non-empty token identifier (printable ASCII, no colon).');
  }
  if (typeof key !== 'string' || !printableAscii.test(key)) {
    misconfigured('`key` must be a non-empty token key (printable ASCII).');
  }
  if (!tiers.includes(tier))
    misconfigured(`\`tier\` must be one of ${tiers.join(', ')}, got ${describeValue(tier)}.`);
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    misconfigured(
      `\`timeoutMs\` must be a positive number of milliseconds, got ${describeValue(timeoutMs)}.`,
    );
  }
  if (fetch !== undefined && typeof fetch !== 'function')
    misconfigured('`fetch` must be a function.');
  const origin = parseBaseUrl(baseUrl);

  const headers: Record<string, string> = {
    Authorization: `Basic ${btoa(`${identifier}:${key}`)}`,
    'X-Crisp-Tier': tier,
    Accept: 'application/json',
  };
  if (!isBrowser()) headers['User-Agent'] = 'crisp-unread';

  const conversationUrl = (sessionId: string) => {
    if (!isSessionId(sessionId)) {
      throw new UnreadError(
        'misconfigured',
        `crisp-unread: the session id must be session_<uuid>, got ${describeValue(sessionId)}.`,
      );
    }
    return `${origin}/v1/website/${websiteId.toLowerCase()}/conversation/${sessionId}`;
  };

  return {
    kind: 'crisp-rest',
    scope: websiteId.toLowerCase(),
    websiteId: websiteId.toLowerCase(),
    async read(sessionId, context) {
      const url = conversationUrl(sessionId);
      const response = await requestJson({
        url,
        method: 'GET',
        headers,
        signal: context.signal,
        timeoutMs,
        fetch,
        service,
      });
      // Only a 200 carries a conversation, as the Flutter plugin reads it.
      const count = response.status === 200 ? readVisitorCount(response.body) : undefined;
      if (count === undefined) {
        throw new UnreadError(
          'invalid-response',
          `${service} answered ${response.status} with a body that is not a conversation with a valid unread count.`,
          { status: response.status },
        );
      }
      return count;
    },
    async markAsRead(sessionId, context) {
      const url = `${conversationUrl(sessionId)}/read`;
      await requestJson({
        url,
        method: 'PATCH',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ from: 'operator', origin: 'chat' }),
        signal: context.signal,
        timeoutMs,
        fetch,
        service,
      });
    },
  };
}

function parseBaseUrl(baseUrl: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof baseUrl === 'string' ? new URL(baseUrl) : undefined;
  } catch {
    url = undefined;
  }
  if (
    !url ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.username ||
    url.password ||
    url.search ||
    url.hash
  ) {
    misconfigured(
      `\`baseUrl\` must be an http(s) origin such as https://api.crisp.chat, got ${describeValue(baseUrl)}.`,
    );
  }
  return url.href.replace(/\/+$/, '');
}
