import type { Context } from 'hono';
import { type SSEMessage, type SSEStreamingApi, streamSSE } from 'hono/streaming';
import { countPayload } from './responses';
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
    (stream) => new Promise<void>((ended) => runStream(stream, options, ended)),
  );
  fixStreamHeaders(c, response);
  return response;
}

type ShownCount = CachedCount & { count: number };

/** One stream's life: opened at once, fed the first count, then the session's changes. */
function runStream(stream: SSEStreamingApi, options: EventStreamOptions, ended: () => void): void {
  const writer = chainedWriter(stream);
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let unwatch: (() => void) | undefined;
  const close = () => {
    if (writer.closed) return;
    const written = writer.close();
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

  writer.write(`retry: ${options.retryMs}\n\n`);
  heartbeat = setInterval(() => writer.write(': ping\n\n'), options.heartbeatMs);
  const shown = shownCount(writer, close);
  const watchChanges = (first: ShownCount) =>
    options.watch(shown.receive).then(
      (stop) => {
        if (writer.closed) return stop();
        unwatch = stop;
        // A change published between the first read and the watch went to no listener.
        options.latest().then(
          (entry) => shown.catchUp(entry, first),
          () => undefined,
        );
      },
      () => close(),
    );
  options.first.then(
    (first) => {
      if (writer.closed) return;
      if (first === 'gone') shown.receive({ count: null, readAt: 0, changedAt: 0 });
      // No count to show: the stream ends, and the client's re-opening gets the HTTP answer
      // (the failure remembered, the budget's Retry-After).
      else if (first === 'failed') close();
      else {
        shown.begin(first.entry, first.stale, options.lastEventId);
        void watchChanges(first.entry);
      }
    },
    () => close(),
  );
}

/**
 * The stream's writes, chained so that the last one (`gone`) lands before the stream is closed;
 * hono's `write` never rejects. Nothing is written once closed.
 */
function chainedWriter(stream: SSEStreamingApi) {
  let written: Promise<unknown> = Promise.resolve();
  let closed = false;
  const chain = (write: () => Promise<unknown>) => {
    if (!closed) written = written.then(write);
  };
  return {
    get closed() {
      return closed;
    },
    send: (message: SSEMessage) => chain(() => stream.writeSSE(message)),
    // Comments and a bare `retry:` are written as they are: `writeSSE` always adds a `data:`
    // line, which EventSource would deliver as an empty message.
    write: (text: string) => chain(() => stream.write(text)),
    /** Stops writing; resolves once what was written has landed. */
    close: () => {
      closed = true;
      return written;
    },
  };
}

/**
 * The count the client is shown: the first one, then each newer entry once; a failed re-read
 * shows it again as `stale`, and a session that is gone ends the stream with `gone`.
 */
function shownCount(writer: ReturnType<typeof chainedWriter>, close: () => void) {
  let lastId = 0;
  // A stale first count is sent again once read afresh, even unchanged, so the client knows.
  let sentStale = false;
  let shown: ShownCount;
  const receive = (entry: CachedCount | 'failed') => {
    if (writer.closed) return;
    if (entry === 'failed') {
      if (!sentStale) writer.send(countEvent(shown, true));
      sentStale = true;
      return;
    }
    if (entry.count === null) {
      writer.send({ event: 'gone', data: '{"error":"session-not-found"}' });
      close();
      return;
    }
    if (entry.changedAt < lastId || (entry.changedAt === lastId && !sentStale)) return;
    lastId = entry.changedAt;
    sentStale = false;
    shown = entry as ShownCount;
    writer.send(countEvent(shown, false));
  };
  return {
    receive,
    begin(first: ShownCount, stale: boolean, lastEventId: string | null) {
      lastId = first.changedAt;
      const resumed = lastEventId === String(first.changedAt);
      writer.send(countEvent(first, stale, resumed ? 'unchanged' : 'count'));
      sentStale = stale;
      shown = first;
    },
    /**
     * The entry read once the watch started. Only a later read counts: the entry may still be
     * the outdated one the first event showed.
     */
    catchUp(entry: CachedCount | 'failed', first: ShownCount) {
      const newer =
        entry === 'failed' ||
        entry.count === null ||
        entry.changedAt > lastId ||
        entry.readAt > first.readAt;
      if (newer) receive(entry);
    },
  };
}

function countEvent(entry: ShownCount, stale: boolean, event = 'count'): SSEMessage {
  return {
    event,
    id: String(entry.changedAt),
    data: JSON.stringify(countPayload(entry, stale)),
  };
}

/**
 * Set on the response and on the context: when a middleware (CORS) has touched the context's
 * response, hono copies its headers over the one the route returns.
 */
function fixStreamHeaders(c: Context, response: Response): void {
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
}
