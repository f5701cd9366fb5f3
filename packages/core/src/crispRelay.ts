import { Observable } from 'rxjs';
import * as z from 'zod/mini';
import { parseRetryAfter, retryDelay } from './backoff';
import { isUnreadError, misconfigured, UnreadError } from './errors';
import { type FetchLike, requestJson } from './http';
import { describeValue, isSessionId } from './ids';
import type { SourceReadContext, UnreadSource } from './types';

/** How `watch` reconnects its stream. */
export interface CrispRelayReconnectOptions {
  /** The first reconnection waits a random time up to this, doubling per failure. Defaults to `1000`. */
  baseDelayMs?: number;
  /** The wait never grows past this. Defaults to `30000`. */
  maxDelayMs?: number;
  /** Consecutive failed connections before `watch` errors (and the store polls). Defaults to `5`. */
  maxAttempts?: number;
  /** A source of randomness in `[0, 1)`, for tests. Defaults to `Math.random`. */
  random?: () => number;
}

/** Options of `crispRelay`: counts from `@crisp-unread/relay`, no key in the page. */
export interface CrispRelayOptions {
  /** The relay's base URL (with its base path), e.g. `https://shop.example/api/crisp-unread`. */
  url: string;
  /** Also push counts over the relay's Server-Sent Events stream (`watch`). Defaults to `false`. */
  stream?: boolean;
  /** The `fetch` to use. Defaults to the global one, looked up at each call. */
  fetch?: FetchLike;
  /** A deadline for each read, body included. Defaults to `10000`. */
  timeoutMs?: number;
  /**
   * A stream silent this long (no event, no heartbeat) is dropped and reconnected.
   * Defaults to `45000` (three of the relay's default heartbeats).
   */
  idleTimeoutMs?: number;
  /** How the stream reconnects. Defaults to `{}`. */
  reconnect?: CrispRelayReconnectOptions;
}

/** A source reading counts from a crisp-unread relay. */
export interface CrispRelaySource extends UnreadSource {
  readonly kind: 'crisp-relay';
  /** The relay URL, without a trailing slash. */
  readonly url: string;
}

const service = 'The crisp-unread relay';
const count = z.int().check(z.nonnegative());
const countBody = z.looseObject({ count, updatedAt: z.number(), stale: z.optional(z.boolean()) });
const relayErrorBody = z.looseObject({ error: z.string(), upstream: z.optional(z.string()) });

/** Reads the count from a relay's JSON body; an `invalid-response` error when it is not one. */
function readCount(body: unknown, status: number): number {
  const parsed = countBody.safeParse(body);
  if (!parsed.success) {
    throw new UnreadError(
      'invalid-response',
      `${service} answered ${status} with a body that is not a valid unread count.`,
      { status },
    );
  }
  return parsed.data.count;
}

/** Turns a relay's error answer into the `UnreadError` its status and code mean. */
export function relayError(status: number, body: unknown, retryAfter: string | null): UnreadError {
  const parsed = relayErrorBody.safeParse(body);
  const code = parsed.success ? parsed.data.error.slice(0, 64) : undefined;
  const said = code ? ` (${code})` : '';
  const retryAfterMs = parseRetryAfter(retryAfter, Date.now());
  const options = retryAfterMs === undefined ? { status } : { status, retryAfterMs };
  if (status === 400) {
    return new UnreadError('misconfigured', `${service} refused the session id${said}.`, {
      status,
    });
  }
  if (status === 404) {
    return new UnreadError('session-not-found', `${service} has no such session${said}.`, {
      status,
    });
  }
  if (status === 429 || status === 503) {
    return new UnreadError('rate-limited', `${service} asked to wait${said}.`, options);
  }
  if (status === 504) {
    return new UnreadError('timeout', `${service} timed out reading Crisp${said}.`, { status });
  }
  if (status === 502 && code === 'upstream-unauthorized') {
    return new UnreadError('unauthorized', `${service} says Crisp refused its key${said}.`, {
      status,
    });
  }
  if (status === 502 && code === 'upstream-forbidden') {
    return new UnreadError('forbidden', `${service} says Crisp refused its token${said}.`, {
      status,
    });
  }
  if (status >= 500) {
    return new UnreadError('server', `${service} failed with ${status}${said}.`, { status });
  }
  return new UnreadError(
    'invalid-response',
    `${service} answered an unexpected ${status}${said}.`,
    {
      status,
    },
  );
}

function parseUrl(url: unknown): string {
  let parsed: URL | undefined;
  try {
    parsed =
      typeof url === 'string'
        ? new URL(url, (globalThis as { location?: { href?: string } }).location?.href)
        : undefined;
  } catch {
    parsed = undefined;
  }
  if (
    !parsed ||
    (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') ||
    parsed.username ||
    parsed.password ||
    parsed.search ||
    parsed.hash
  ) {
    misconfigured(
      `\`url\` must be the relay's http(s) URL such as https://shop.example/api/crisp-unread, got ${describeValue(url)}.`,
    );
  }
  return parsed.href.replace(/\/+$/, '');
}

/**
 * Reads unread counts from `@crisp-unread/relay` (`GET {url}/sessions/{id}/unread`): no key in
 * the page. With `stream: true`, `watch` also pushes counts from the relay's SSE stream.
 */
export function crispRelay(options: CrispRelayOptions): CrispRelaySource {
  if (typeof options !== 'object' || options === null)
    misconfigured('crispRelay() needs an options object.');
  const {
    stream = false,
    fetch,
    timeoutMs = 10_000,
    idleTimeoutMs = 45_000,
    reconnect = {},
  } = options;
  const url = parseUrl(options.url);
  for (const [name, value] of [
    ['timeoutMs', timeoutMs],
    ['idleTimeoutMs', idleTimeoutMs],
  ] as const) {
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
      misconfigured(
        `\`${name}\` must be a positive number of milliseconds, got ${describeValue(value)}.`,
      );
    }
  }
  if (typeof stream !== 'boolean') misconfigured('`stream` must be a boolean.');
  if (fetch !== undefined && typeof fetch !== 'function')
    misconfigured('`fetch` must be a function.');
  const retry = {
    baseDelayMs: reconnect.baseDelayMs ?? 1000,
    maxDelayMs: reconnect.maxDelayMs ?? 30_000,
    random: reconnect.random ?? Math.random,
  };
  const maxAttempts = reconnect.maxAttempts ?? 5;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    misconfigured(
      `\`reconnect.maxAttempts\` must be an integer >= 1, got ${describeValue(maxAttempts)}.`,
    );
  }

  const sessionUrl = (sessionId: string) => {
    if (!isSessionId(sessionId)) {
      throw new UnreadError(
        'misconfigured',
        `crisp-unread: the session id must be session_<uuid>, got ${describeValue(sessionId)}.`,
      );
    }
    return `${url}/sessions/${sessionId}/unread`;
  };
  const fetchFn: FetchLike = fetch ?? ((input, init) => globalThis.fetch(input, init));

  const source: CrispRelaySource = {
    kind: 'crisp-relay',
    scope: url,
    url,
    async read(sessionId, context) {
      const target = sessionUrl(sessionId);
      // requestJson maps statuses the Crisp way; the relay's own codes need its headers and body.
      let failed: { status: number; body: unknown; retryAfter: string | null } | undefined;
      const capturing: FetchLike = async (input, init) => {
        const response = await fetchFn(input, init);
        if (!response.ok) {
          const text = await response.clone().text();
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          failed = {
            status: response.status,
            body,
            retryAfter: response.headers.get('retry-after'),
          };
        }
        return response;
      };
      try {
        const response = await requestJson({
          url: target,
          method: 'GET',
          headers: { Accept: 'application/json' },
          signal: context.signal,
          timeoutMs,
          fetch: capturing,
          service,
        });
        return readCount(response.body, response.status);
      } catch (error) {
        if (isUnreadError(error) && failed && error.status === failed.status) {
          throw relayError(failed.status, failed.body, failed.retryAfter);
        }
        throw error;
      }
    },
  };
  if (!stream) return source;

  return {
    ...source,
    watch(sessionId: string, context: SourceReadContext): Observable<number> {
      const target = `${sessionUrl(sessionId)}/stream`;
      return new Observable<number>((subscriber) => {
        const stop = new AbortController();
        const onAbort = () => {
          stop.abort();
          subscriber.complete();
        };
        context.signal.addEventListener('abort', onAbort, { once: true });
        let lastEventId: string | null = null;
        let waitTimer: ReturnType<typeof setTimeout> | undefined;
        const wait = (ms: number) =>
          new Promise<void>((resolve) => {
            waitTimer = setTimeout(resolve, ms);
          });

        const run = async () => {
          let failures = 0;
          while (!stop.signal.aborted) {
            let error: UnreadError;
            try {
              const received = await connect();
              // A stream that delivered something was healthy: start counting failures anew.
              if (received) failures = 0;
              error = new UnreadError('network', `${service} closed the stream.`);
            } catch (cause) {
              if (stop.signal.aborted) return;
              error = isUnreadError(cause)
                ? cause
                : new UnreadError('network', `${service} stream failed.`, { cause });
              if (!error.transient && error.code !== 'rate-limited') throw error;
            }
            if (stop.signal.aborted) return;
            failures++;
            if (failures >= maxAttempts) throw error;
            await wait(retryDelay(failures, error, retry.baseDelayMs, retry));
          }
        };

        /** One connection: resolves when the server ends it, true if any event arrived. */
        const connect = async (): Promise<boolean> => {
          const connection = new AbortController();
          const abort = () => connection.abort();
          stop.signal.addEventListener('abort', abort, { once: true });
          let idle: ReturnType<typeof setTimeout> | undefined;
          let idled = false;
          const armIdle = () => {
            clearTimeout(idle);
            idle = setTimeout(() => {
              idled = true;
              connection.abort();
            }, idleTimeoutMs);
          };
          let received = false;
          try {
            armIdle();
            const headers: Record<string, string> = { Accept: 'text/event-stream' };
            if (lastEventId !== null) headers['Last-Event-ID'] = lastEventId;
            let response: Response;
            try {
              response = await fetchFn(target, { headers, signal: connection.signal });
            } catch (cause) {
              throw new UnreadError(
                idled ? 'timeout' : 'network',
                `${service} stream could not be opened.`,
                { cause },
              );
            }
            if (!response.ok) {
              const text = await response.text().catch(() => '');
              let body: unknown;
              try {
                body = JSON.parse(text);
              } catch {
                body = undefined;
              }
              throw relayError(response.status, body, response.headers.get('retry-after'));
            }
            if (!response.body) {
              throw new UnreadError('invalid-response', `${service} sent a stream without a body.`);
            }
            const parser = sseParser((event) => {
              if (event.id !== undefined) lastEventId = event.id;
              if (event.event === 'gone') {
                throw new UnreadError('session-not-found', `${service} has no such session.`, {
                  status: 404,
                });
              }
              if (event.event !== 'count') return;
              let body: unknown;
              try {
                body = JSON.parse(event.data);
              } catch {
                body = undefined;
              }
              received = true;
              subscriber.next(readCount(body, 200));
            });
            const reader = response.body.getReader();
            const decoder = new TextDecoder();
            try {
              for (;;) {
                const { done, value } = await reader.read();
                if (done) break;
                armIdle();
                parser(decoder.decode(value, { stream: true }));
              }
            } catch (cause) {
              if (isUnreadError(cause)) throw cause;
              throw new UnreadError(
                idled ? 'timeout' : 'network',
                idled ? `${service} stream went silent.` : `${service} stream broke.`,
                { cause },
              );
            } finally {
              reader.cancel().catch(() => undefined);
            }
            return received;
          } finally {
            clearTimeout(idle);
            stop.signal.removeEventListener('abort', abort);
            connection.abort();
          }
        };

        if (context.signal.aborted) onAbort();
        else {
          run().then(
            () => subscriber.complete(),
            (error: unknown) => {
              if (!stop.signal.aborted) subscriber.error(error);
            },
          );
        }
        return () => {
          clearTimeout(waitTimer);
          context.signal.removeEventListener('abort', onAbort);
          stop.abort();
        };
      });
    },
  };
}

interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * A small Server-Sent Events parser (the WHATWG event stream format): feed it text as it comes;
 * it calls `onEvent` per dispatched event. Comments (heartbeats) are skipped.
 */
export function sseParser(onEvent: (event: SseEvent) => void): (chunk: string) => void {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  return (chunk) => {
    buffer += chunk;
    // Guard against a server that never ends a line.
    if (buffer.length > 1_048_576) {
      throw new UnreadError('invalid-response', `${service} sent an event too long to parse.`);
    }
    for (;;) {
      const match = /\r\n|\r|\n/.exec(buffer);
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (!match || (match[0] === '\r' && match.index === buffer.length - 1)) return;
      const line = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      if (line === '') {
        if (data.length > 0) onEvent({ event: event || 'message', data: data.join('\n'), id });
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id' && !value.includes('\0')) id = value;
    }
  };
}
