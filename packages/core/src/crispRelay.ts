import { Observable } from 'rxjs';
import * as z from 'zod/mini';
import { parseRetryAfter } from './backoff';
import { isUnreadError, misconfigured, UnreadError, type UnreadErrorCode } from './errors';
import { type FetchLike, requestJson } from './http';
import { describeValue, isSessionId } from './ids';
import { toReading } from './reading';
import { readEvents, resumePoints } from './sse';
import type { SourceReadContext, StreamReconnect, UnreadReading, UnreadSource } from './types';

export { sseParser } from './sse';

/**
 * How the store re-opens the relay's stream after it fails (the source gives these to the store as
 * its `reconnect`; `watch` itself makes one connection per subscription). A stream the relay
 * closes is re-opened after a poll interval, as for any source.
 */
export interface CrispRelayReconnectOptions {
  /**
   * The bound of the first re-opening's wait (random between half the bound and the bound), doubling
   * per failure.
   * Defaults to `1000`.
   */
  baseDelayMs?: number | undefined;
  /** The bound never grows past this. Defaults to `30000`. */
  maxDelayMs?: number | undefined;
  /**
   * Consecutive failed connections (none delivering a count) after which the store stops
   * re-opening the stream on this backoff: it polls, and re-opens the stream once per poll
   * interval (`pollIntervalMs`, or a longer `Retry-After`) until the stream delivers a count again.
   * Defaults to `5`.
   */
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
   * A stream silent this long (no event, no heartbeat) is dropped: a `timeout` failure, which the
   * store re-opens on the `reconnect` backoff. Defaults to `45000` (three of the relay's default
   * heartbeats).
   */
  idleTimeoutMs?: number | undefined;
  /** How the store re-opens the stream after it fails. Defaults to `{}`. */
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
  /** The `reconnect` option with its defaults, for the store; given with `stream: true`. */
  readonly reconnect?: StreamReconnect | undefined;
}

const service = 'The crisp-unread relay';

/** The relay's count body (`{ count, updatedAt, stale, assumed? }`), built on first use. */
let countBody: z.ZodMiniType<{ count: number }> | undefined;

/**
 * Reads the count, its staleness and whether the relay assumed it from a relay's JSON body (a
 * relay too old to say `stale` or `assumed` serves fresh, read counts only); an
 * `invalid-response` error when it is not one.
 */
function readCount(body: unknown, status: number): UnreadReading {
  // zod checks the shape; the integer and boolean tests are `toReading`'s plain JS (zod's int,
  // nonnegative and boolean checks would add about 1 kB gzip to every page on the relay).
  countBody ??= z.looseObject({ count: z.number(), updatedAt: z.number() });
  const parsed = countBody.safeParse(body);
  const reading = parsed.success ? toReading({ stale: false, ...parsed.data }) : undefined;
  if (reading) return reading;
  throw new UnreadError(
    'invalid-response',
    `${service} answered ${status} without a valid unread count.`,
    { status },
  );
}

/**
 * The relay's error codes and what each means in the page (README: "The relay's answers"). A
 * setup the relay cannot heal by itself halts the store until `refresh()`, as a refused key does;
 * a limit waits for `Retry-After`; an upstream outage backs off.
 */
const relayCodes: Readonly<Record<string, UnreadErrorCode>> = {
  misconfigured: 'misconfigured',
  'invalid-session-id': 'misconfigured',
  'not-found': 'misconfigured',
  'upstream-unauthorized': 'unauthorized',
  'upstream-forbidden': 'forbidden',
  'upstream-not-subscribed': 'misconfigured',
  'session-not-found': 'session-not-found',
  'budget-exhausted': 'rate-limited',
  'rate-limited': 'rate-limited',
  'too-many-streams': 'rate-limited',
  'upstream-unavailable': 'server',
  internal: 'server',
  'relay-closed': 'server',
};

/** Without a relay code (a proxy's page, an older relay): what the status alone says. */
function statusCode(status: number): UnreadErrorCode {
  if (status === 400) return 'misconfigured';
  if (status === 404) return 'session-not-found';
  if (status === 420 || status === 429) return 'rate-limited';
  if (status === 504) return 'timeout';
  return status > 499 ? 'server' : 'invalid-response';
}

/** Turns a relay's error answer into the `UnreadError` its code (else its status) means. */
export function relayError(status: number, body: unknown, retryAfter: string | null): UnreadError {
  const parsed = z.looseObject({ error: z.string() }).safeParse(body);
  const said = parsed.success ? parsed.data.error.slice(0, 64) : '';
  let code = Object.hasOwn(relayCodes, said) ? relayCodes[said]! : statusCode(status);
  // The relay answers a Crisp timeout 504 `upstream-unavailable`.
  if (code === 'server' && status === 504) code = 'timeout';
  return new UnreadError(code, `${service} answered ${status}${said && ` (${said})`}.`, {
    status,
    // Honoured by every backoff: a limit waits it out, an outage waits at least that long.
    retryAfterMs: parseRetryAfter(retryAfter, Date.now()),
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
  const streamReconnect: StreamReconnect = {
    baseDelayMs: reconnect.baseDelayMs ?? 1000,
    maxDelayMs: reconnect.maxDelayMs ?? 30_000,
    maxAttempts: reconnect.maxAttempts ?? 5,
    random: reconnect.random ?? Math.random,
  };
  const { baseDelayMs, maxDelayMs, maxAttempts, random } = streamReconnect;
  check(
    Number.isFinite(maxDelayMs) && maxDelayMs >= baseDelayMs && baseDelayMs >= 0,
    'reconnect.maxDelayMs',
    'finite milliseconds >= reconnect.baseDelayMs >= 0',
    maxDelayMs,
  );
  check(
    Number.isInteger(maxAttempts) && maxAttempts > 0,
    'reconnect.maxAttempts',
    'an integer >= 1',
    maxAttempts,
  );
  check(typeof random === 'function', 'reconnect.random', 'a function', random);

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
    reconnect: stream ? streamReconnect : undefined,
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

  // Per session, so that the store's re-opening of a stream resumes where the last one stopped.
  const resume = resumePoints();
  source.watch = (sessionId, { signal }) => {
    const target = `${sessionUrl(sessionId)}/stream`;
    return new Observable<UnreadReading>((subscriber) => {
      if (signal.aborted) return subscriber.complete();
      const memory = resume.open(sessionId);
      const complete = () => subscriber.complete();
      const connection = new AbortController();
      /** The idle deadline: the one abort while subscribed, so an aborted connection went silent. */
      let timer: ReturnType<typeof setTimeout> | undefined;
      const armIdle = () => {
        // Each chunk moves the deadline. Where timers are objects (Node, Bun), `refresh()` moves
        // this one without a new timer per chunk (a page hears a heartbeat every 15 s); a
        // browser's timers are numbers, cleared and set again.
        const refreshable = timer as { refresh?: () => unknown } | number | undefined;
        if (typeof refreshable === 'object' && typeof refreshable.refresh === 'function') {
          refreshable.refresh();
          return;
        }
        clearTimeout(timer);
        timer = setTimeout(() => connection.abort(), idleTimeoutMs);
      };
      /** Set when the stream ended by itself (not by unsubscribing): the store may re-open it. */
      let ended = false;

      /** Connects and reads until the relay closes the stream. */
      const connect = async () => {
        armIdle();
        const response = await relayFetch(target, {
          headers: {
            Accept: 'text/event-stream',
            ...(memory.id ? { 'Last-Event-ID': memory.id } : {}),
          },
          signal: connection.signal,
        });
        await readEvents(
          response.body,
          ({ event, data, id }) => {
            memory.id = id ?? memory.id;
            let body: unknown;
            try {
              body = JSON.parse(data);
            } catch {}
            if (event === 'gone') {
              // The relay's `gone` event carries the 404 body; the session will not come back.
              resume.forget(sessionId, memory);
              throw relayError(404, body, null);
            }
            // `unchanged`: a resumed stream's count is the one its Last-Event-ID named, still current.
            if (event === 'count' || event === 'unchanged') subscriber.next(readCount(body, 200));
          },
          armIdle,
          service,
        );
      };

      signal.addEventListener('abort', complete);
      // After unsubscribing (the connection aborted) these go nowhere: rxjs drops them.
      connect().then(
        () => {
          ended = true;
          subscriber.complete();
        },
        (cause: unknown) => {
          const silent = connection.signal.aborted;
          ended = true;
          subscriber.error(
            isUnreadError(cause)
              ? cause
              : new UnreadError(
                  silent ? 'timeout' : 'network',
                  `${service} stream ${silent ? 'went silent' : 'failed'}.`,
                  { cause },
                ),
          );
        },
      );
      return () => {
        signal.removeEventListener('abort', complete);
        clearTimeout(timer);
        connection.abort();
        // A stream its watchers left will not be re-opened; one that ended by itself may be.
        resume.close(sessionId, memory, ended);
      };
    });
  };
  return source;
}
