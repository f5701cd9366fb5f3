import type { Context } from 'hono';
import { type SSEMessage, streamSSE } from 'hono/streaming';
import type { CachedCount } from './types';

/** A stream's first count: read, or why there is none (`failed`: the stream ends, re-opened). */
export type FirstCount =
  | { entry: CachedCount & { count: number }; stale: boolean }
  | 'gone'
  | 'failed';

export interface EventStreamOptions {
  /** The first count, when read: the stream opens (headers, `retry:`) without waiting for it. */
  first: Promise<FirstCount>;
  /** The client's `Last-Event-ID`, or `null`. */
  lastEventId: string | null;
  retryMs: number;
  heartbeatMs: number;
  /**
   * Starts receiving the session's entries, and `'failed'` when a read of it failed (the count
   * on show could not be refreshed); resolves with the stop function once receiving.
   */
  watch(listener: (update: CachedCount | 'failed') => void): Promise<() => void>;
  /**
   * The session's count once fresh, or `'failed'`: asked once `watch` listens, for a change
   * that landed while the stream opened and so reached no listener.
   */
  latest(): Promise<CachedCount | 'failed'>;
  /** Aborted when the client leaves. */
  signal: AbortSignal;
  /** Called with the function that ends the stream (the relay calls it when it closes). */
  onOpen(end: () => void): void;
  /** Called once when the stream ends, for whatever reason. */
  onClose(end: () => void): void;
}

function countEvent(
  entry: CachedCount & { count: number },
  stale: boolean,
  event = 'count',
): SSEMessage {
  return {
    event,
    id: String(entry.changedAt),
    data: JSON.stringify({
      count: entry.count,
      updatedAt: entry.readAt,
      stale,
      ...(entry.assumed ? { assumed: true } : {}),
    }),
  };
}

/**
 * A Server-Sent Events response of one session's count (hono's `streamSSE`): headers and `retry:`
 * at once, a `count` event as soon as the first count is read (an `unchanged` one when the
 * client's `Last-Event-ID` already names it, so a resumed client knows its count is current
 * without a duplicate `count`), then one per change, with heartbeat
 * comments. A change that lands while the watch starts is read back once it has started; a failed
 * re-read makes the count on show `stale`. Every timer and subscription ends when the client
 * leaves or the relay closes.
 */
export function eventStream(c: Context, options: EventStreamOptions): Response {
  const response = streamSSE(
    c,
    (stream) =>
      new Promise<void>((ended) => {
        let lastId = 0;
        // A stale first count is sent again once read afresh, even unchanged, so the client knows.
        let sentStale = false;
        let closed = false;
        let heartbeat: ReturnType<typeof setInterval> | undefined;
        let unwatch: (() => void) | undefined;
        // Writes are chained so that the last one (`gone`) lands before the stream is closed;
        // hono's `write` never rejects.
        let written: Promise<unknown> = Promise.resolve();
        const send = (message: SSEMessage) => {
          if (!closed) written = written.then(() => stream.writeSSE(message));
        };
        // Comments and a bare `retry:` are written as they are: `writeSSE` always adds a `data:`
        // line, which EventSource would deliver as an empty message.
        const write = (text: string) => {
          if (!closed) written = written.then(() => stream.write(text));
        };
        const close = () => {
          if (closed) return;
          closed = true;
          clearInterval(heartbeat);
          unwatch?.();
          options.signal.removeEventListener('abort', close);
          options.onClose(close);
          // streamSSE closes the response once this callback's promise settles. A client that
          // left has its writes dropped at once, so waiting for them cannot hang.
          if (stream.aborted || options.signal.aborted) ended();
          else void written.then(() => ended());
        };
        options.onOpen(close);
        if (options.signal.aborted) {
          close();
          return;
        }
        options.signal.addEventListener('abort', close, { once: true });
        stream.onAbort(close);

        write(`retry: ${options.retryMs}\n\n`);
        heartbeat = setInterval(() => write(': ping\n\n'), options.heartbeatMs);
        let shown: CachedCount & { count: number };
        const receive = (entry: CachedCount | 'failed') => {
          if (closed) return;
          if (entry === 'failed') {
            if (!sentStale) send(countEvent(shown, true));
            sentStale = true;
            return;
          }
          if (entry.count === null) {
            send({ event: 'gone', data: '{"error":"session-not-found"}' });
            close();
            return;
          }
          if (entry.changedAt < lastId || (entry.changedAt === lastId && !sentStale)) return;
          lastId = entry.changedAt;
          sentStale = false;
          shown = entry as CachedCount & { count: number };
          send(countEvent(shown, false));
        };
        const begin = (first: CachedCount & { count: number }, stale: boolean) => {
          lastId = first.changedAt;
          const resumed = options.lastEventId === String(first.changedAt);
          send(countEvent(first, stale, resumed ? 'unchanged' : 'count'));
          sentStale = stale;
          shown = first;
          options.watch(receive).then(
            (stop) => {
              if (closed) return stop();
              unwatch = stop;
              // A change published between the first read and the watch went to no listener. Only
              // a later read counts: the entry may still be the outdated one the first event showed.
              options.latest().then(
                (entry) => {
                  const newer =
                    entry === 'failed' ||
                    entry.count === null ||
                    entry.changedAt > lastId ||
                    entry.readAt > first.readAt;
                  if (newer) receive(entry);
                },
                () => undefined,
              );
            },
            () => close(),
          );
        };
        options.first.then(
          (first) => {
            if (closed) return;
            if (first === 'gone') receive({ count: null, readAt: 0, changedAt: 0 });
            // No count to show: the stream ends, and the client's re-opening gets the HTTP answer
            // (the failure remembered, the budget's Retry-After).
            else if (first === 'failed') close();
            else begin(first.entry, first.stale);
          },
          () => close(),
        );
      }),
  );
  // Set on the response and on the context: when a middleware (CORS) has touched the context's
  // response, hono copies its headers over the one the route returns.
  const header = (name: string, value?: string) => {
    c.header(name, value);
    if (value === undefined) response.headers.delete(name);
    else response.headers.set(name, value);
  };
  // streamSSE adds `Connection: keep-alive`: meaningless in HTTP/1.1 (the default) and forbidden
  // in HTTP/2, where a browser drops the stream when a front passes it through.
  header('Connection');
  header('Cache-Control', 'no-store, no-transform');
  // nginx buffers responses unless told not to, which would hold events back.
  header('X-Accel-Buffering', 'no');
  return response;
}
