import { Observable } from 'rxjs';
import * as z from 'zod/mini';
import { parseRetryAfter, retryDelay } from './backoff';
import { isUnreadError, misconfigured, UnreadError, type UnreadErrorCode } from './errors';
import { type FetchLike, requestJson } from './http';
import { describeValue, isSessionId } from './ids';
import type { SourceReadContext, UnreadReading, UnreadSource } from './types';

/** How `watch` reconnects its stream. */
export interface CrispRelayReconnectOptions {
  /** The first reconnection waits a random time up to this, doubling per failure. Defaults to `1000`. */
  baseDelayMs?: number | undefined;
  /** The wait never grows past this. Defaults to `30000`. */
  maxDelayMs?: number | undefined;
  /** Consecutive failed connections before `watch` errors (and the store polls). Defaults to `5`. */
  maxAttempts?: number | undefined;
  /** A source of randomness in `[0, 1)`, for tests. Defaults to `Math.random`. */
  random?: (() => number) | undefined;
}

/** Options of `crispRelay`: counts from `@crisp-unread/relay`, no key in the page. */
export interface CrispRelayOptions {
  /**
   * The relay's base URL (with its base path), e.g. `https://shop.example/api/crisp-unread`, or a
   * path on the page's own site, e.g. `/api/crisp-unread`, resolved against the page's `location`.
   * Outside a page (a server render) a relative URL leaves the source unavailable: a store on it
   * stays `idle`. Required.
   */
  url: string;
  /** Also push counts over the relay's Server-Sent Events stream (`watch`). Defaults to `false`. */
  stream?: boolean | undefined;
  /** The `fetch` to use. Defaults to the global one, looked up at each call. */
  fetch?: FetchLike | undefined;
  /** A deadline for each read, body included. Defaults to `10000`. */
  timeoutMs?: number | undefined;
  /**
   * A stream silent this long (no event, no heartbeat) is dropped and reconnected.
   * Defaults to `45000` (three of the relay's default heartbeats).
   */
  idleTimeoutMs?: number | undefined;
  /** How the stream reconnects. Defaults to `{}`. */
  reconnect?: CrispRelayReconnectOptions | undefined;
}

/** A source reading counts from a crisp-unread relay. */
export interface CrispRelaySource extends UnreadSource {
  readonly kind: 'crisp-relay';
  /**
   * The relay URL, without a trailing slash: absolute in a page, as given (relative) outside one.
   */
  readonly url: string;
  /** The relay says whether it could refresh the count it serves. */
  read(sessionId: string, context: SourceReadContext): Promise<UnreadReading>;
  watch?(sessionId: string, context: SourceReadContext): Observable<UnreadReading>;
}

const service = 'The crisp-unread relay';

/** The relay's count body (`{ count, updatedAt, stale }`), built on first use. */
let countBody: z.ZodMiniType<{ count: number; stale?: unknown }> | undefined;

/**
 * Reads the count and its staleness from a relay's JSON body (a relay too old to say `stale`
 * serves fresh counts only); an `invalid-response` error when it is not one.
 */
function readCount(body: unknown, status: number): UnreadReading {
  // zod checks the shape; the integer and boolean tests are plain JS (zod's int, nonnegative and
  // boolean checks would add about 1 kB gzip to every page on the relay).
  countBody ??= z.looseObject({ count: z.number(), updatedAt: z.number() });
  const parsed = countBody.safeParse(body);
  const { count, stale = false } = parsed.success ? parsed.data : { count: -1 };
  if (Number.isInteger(count) && count >= 0 && typeof stale === 'boolean') return { count, stale };
  throw new UnreadError(
    'invalid-response',
    `${service} answered ${status} without a valid unread count.`,
    { status },
  );
}

/** Turns a relay's error answer into the `UnreadError` its status and code mean. */
export function relayError(status: number, body: unknown, retryAfter: string | null): UnreadError {
  const parsed = z.looseObject({ error: z.string() }).safeParse(body);
  const said = parsed.success ? parsed.data.error.slice(0, 64) : '';
  // By status, or by status and the relay's code for the two upstream refusals.
  const codes: Record<string, UnreadErrorCode> = {
    400: 'misconfigured',
    404: 'session-not-found',
    429: 'rate-limited',
    503: 'rate-limited',
    504: 'timeout',
    '502upstream-unauthorized': 'unauthorized',
    '502upstream-forbidden': 'forbidden',
  };
  const code =
    codes[status + said] ?? codes[status] ?? (status > 499 ? 'server' : 'invalid-response');
  return new UnreadError(code, `${service} answered ${status}${said && ` (${said})`}.`, {
    status,
    retryAfterMs: code === 'rate-limited' ? parseRetryAfter(retryAfter, Date.now()) : undefined,
  });
}

/** Throws the `misconfigured` error of option `name` unless `ok`. */
const check = (ok: unknown, name: string, expected: string, value: unknown) =>
  ok || misconfigured(`\`${name}\` must be ${expected}, got ${describeValue(value)}.`);

/**
 * Reads unread counts from `@crisp-unread/relay` (`GET {url}/sessions/{id}/unread`): no key in
 * the page. With `stream: true`, `watch` also pushes counts from the relay's SSE stream.
 */
export function crispRelay(options: CrispRelayOptions): CrispRelaySource {
  const {
    url: given,
    stream = false,
    fetch,
    timeoutMs = 10_000,
    idleTimeoutMs = 45_000,
    reconnect = {},
  } = options ?? {};
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  // A URL without a scheme (`/api/…`, `//host/…`) needs a page to resolve against.
  const available = !!page || /^[a-z][\w+.-]*:/i.test(given);
  let url = '';
  try {
    // Without a page, a relative URL is checked against a stand-in origin, and kept as given.
    url = new URL(given, page || 'http://localhost').href;
  } catch {}
  check(
    // http(s), no credentials, no query, no hash.
    given?.trim?.() && /^https?:\/\/[^/@]+\/[^?#]*$/.test(url),
    'url',
    'an http(s) URL or a path (no credentials, query or hash)',
    given,
  );
  url = (available ? url : given).replace(/\/+$/, '');
  for (const [name, value] of Object.entries({ timeoutMs, idleTimeoutMs })) {
    check(Number.isFinite(value) && value > 0, name, 'a positive number of milliseconds', value);
  }
  check(typeof stream === 'boolean', 'stream', 'a boolean', stream);
  check(fetch === undefined || typeof fetch === 'function', 'fetch', 'a function', fetch);
  const retry = {
    baseDelayMs: reconnect.baseDelayMs ?? 1000,
    maxDelayMs: reconnect.maxDelayMs ?? 30_000,
    random: reconnect.random ?? Math.random,
  };
  const maxAttempts = reconnect.maxAttempts ?? 5;
  check(
    Number.isInteger(maxAttempts) && maxAttempts > 0,
    'reconnect.maxAttempts',
    'an integer >= 1',
    maxAttempts,
  );

  const sessionUrl = (sessionId: string) => {
    check(available, 'url', 'absolute outside a page', url);
    check(isSessionId(sessionId), 'sessionId', 'session_<uuid>', sessionId);
    return `${url}/sessions/${sessionId}/unread`;
  };
  /** The `fetch` (looked up at each call), with a non-2xx answer turned into its `UnreadError`. */
  const relayFetch: FetchLike = async (input, init) => {
    const response = await (fetch ?? globalThis.fetch)(input, init);
    if (response.ok) return response;
    throw relayError(
      response.status,
      await response.json().catch(() => {}),
      response.headers.get('retry-after'),
    );
  };

  const source: CrispRelaySource = {
    kind: 'crisp-relay',
    scope: url,
    url,
    available,
    async read(sessionId, context) {
      const response = await requestJson({
        url: sessionUrl(sessionId),
        method: 'GET',
        headers: { Accept: 'application/json' },
        signal: context.signal,
        timeoutMs,
        fetch: relayFetch,
        service,
      });
      return readCount(response.body, response.status);
    },
  };
  if (!stream) return source;

  source.watch = (sessionId, { signal }) => {
    const target = `${sessionUrl(sessionId)}/stream`;
    return new Observable<UnreadReading>((subscriber) => {
      const complete = () => subscriber.complete();
      let lastEventId: string | undefined;
      let failures = 0;
      /** The idle deadline of the open connection, or the wait before the next one. */
      let timer: ReturnType<typeof setTimeout> | undefined;
      let connection: AbortController | undefined;

      /** Connects, reads until the stream ends, reconnects with backoff; rejects when it gives up. */
      const run = async () => {
        for (;;) {
          const current = new AbortController();
          connection = current;
          // The idle timer is the only abort while subscribed: an aborted connection went silent.
          const armIdle = () => {
            clearTimeout(timer);
            timer = setTimeout(() => current.abort(), idleTimeoutMs);
          };
          let error: UnreadError;
          try {
            armIdle();
            const response = await relayFetch(target, {
              headers: {
                Accept: 'text/event-stream',
                ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}),
              },
              signal: current.signal,
            });
            const parse = sseParser(({ event, data, id }) => {
              lastEventId = id ?? lastEventId;
              let body: unknown;
              try {
                body = JSON.parse(data);
              } catch {}
              // The relay's `gone` event carries the 404 body.
              if (event === 'gone') throw relayError(404, body, null);
              if (event === 'count') {
                subscriber.next(readCount(body, 200));
                // A stream that delivers counts is healthy: count failures anew.
                failures = 0;
              }
            });
            // A bodiless answer is a stream that closed at once.
            const reader = response.body?.getReader();
            const decoder = new TextDecoder();
            while (reader) {
              const { done, value } = await reader.read();
              if (done) break;
              armIdle();
              parse(decoder.decode(value, { stream: true }));
            }
            error = new UnreadError('network', `${service} closed the stream.`);
          } catch (cause) {
            const silent = current.signal.aborted;
            error = isUnreadError(cause)
              ? cause
              : new UnreadError(
                  silent ? 'timeout' : 'network',
                  `${service} stream ${silent ? 'went silent' : 'failed'}.`,
                  { cause },
                );
            if (!error.transient && error.code !== 'rate-limited') throw error;
          } finally {
            clearTimeout(timer);
            current.abort();
          }
          if (subscriber.closed) return;
          if (++failures >= maxAttempts) throw error;
          await new Promise((resolve) => {
            timer = setTimeout(resolve, retryDelay(failures, error, retry.baseDelayMs, retry));
          });
        }
      };

      if (signal.aborted) complete();
      else {
        signal.addEventListener('abort', complete);
        // An error after unsubscribing (the connection aborted) goes nowhere: rxjs drops it.
        run().catch((error: unknown) => subscriber.error(error));
      }
      return () => {
        signal.removeEventListener('abort', complete);
        clearTimeout(timer);
        connection?.abort();
      };
    });
  };
  return source;
}

interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * A small Server-Sent Events parser (the WHATWG event stream format): feed it text as it comes;
 * it calls `onEvent` per dispatched event. Comments (heartbeats) and unknown fields are skipped.
 */
export function sseParser(onEvent: (event: SseEvent) => void): (chunk: string) => void {
  let buffer = '';
  let event = '';
  /** Each `data` line's value, each after a `\n`. */
  let data = '';
  let id: string | undefined;
  return (chunk) => {
    // Lines end with \r\n, \n or \r; a \r at the very end may be the first half of \r\n.
    const lines = (buffer + chunk).split(/\r\n|\n|\r(?!$)/);
    buffer = lines.pop() as string;
    // Guard against a server that never ends a line.
    if (buffer.length > 1_048_576) {
      throw new UnreadError('invalid-response', `${service} sent a line over 1 MiB.`);
    }
    for (const line of lines) {
      // The field name up to the first colon, then the value without one leading space.
      const [, field, value] = /^([^:]*):? ?(.*)/s.exec(line) as unknown as [
        string,
        string,
        string,
      ];
      if (!line) {
        if (data) onEvent({ event: event || 'message', data: data.slice(1), id });
        event = data = '';
      } else if (field === 'event') event = value;
      else if (field === 'data') data += `\n${value}`;
      else if (field === 'id' && !value.includes('\0')) id = value;
    }
  };
}
