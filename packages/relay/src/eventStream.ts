import type { Context } from 'hono';
import type { Heartbeat } from './heartbeat';
import { countPayload } from './responses';
import { type SseBody, type SseMessage, sseBody } from './sseBody';
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
  /** The relay's heartbeat, which this stream joins while open. */
  heartbeat: Heartbeat;
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
 * A Server-Sent Events response of one session's count (sseBody.ts): headers and `retry:` at
 * once, a `count` event as soon as the first count is read (an `unchanged` one when the client's
 * `Last-Event-ID` already names it, so a resumed client knows its count is current without a
 * duplicate `count`), then one per change, with the relay's heartbeat comments. A change that
 * lands while the watch starts is read back once it has started; a failed re-read makes the count
 * on show `stale`. Every subscription ends when the client leaves or the relay closes.
 */
export function eventStream(c: Context, options: EventStreamOptions): Response {
  const body = runStream(options);
  // Set on the context: when a middleware (CORS) has touched the context's response, hono copies
  // its headers over the one the route returns.
  c.header('Content-Type', 'text/event-stream');
  c.header('Cache-Control', 'no-store, no-transform');
  // nginx buffers responses unless told not to, which would hold events back.
  c.header('X-Accel-Buffering', 'no');
  return c.body(body.stream);
}

type ShownCount = CachedCount & { count: number };

/**
 * One stream's life: its body opened at once, fed the first count, then the session's changes;
 * closed when the client cancels the body.
 */
function runStream(options: EventStreamOptions): SseBody {
  let unwatch: (() => void) | undefined;
  let leaveHeartbeat: (() => void) | undefined;
  let ended = false;
  const body = sseBody(() => close());
  const close = () => {
    if (ended) return;
    ended = true;
    body.close();
    leaveHeartbeat?.();
    unwatch?.();
    options.signal.removeEventListener('abort', close);
    options.onClose(close);
  };
  options.onOpen(close);
  if (options.signal.aborted) {
    close();
    return body;
  }
  options.signal.addEventListener('abort', close, { once: true });

  body.write(`retry: ${options.retryMs}\n\n`);
  leaveHeartbeat = options.heartbeat.add(() => body.write(': ping\n\n'));
  const shown = shownCount(body, close);
  const watchChanges = (first: ShownCount) =>
    options.watch(shown.receive).then(
      (stop) => {
        if (body.closed) return stop();
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
      if (body.closed) return;
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
  return body;
}

/**
 * The count the client is shown: the first one, then each newer entry once; a failed re-read
 * shows it again as `stale`, and a session that is gone ends the stream with `gone`.
 */
function shownCount(body: SseBody, close: () => void) {
  let lastId = 0;
  // A stale first count is sent again once read afresh, even unchanged, so the client knows.
  let sentStale = false;
  let shown: ShownCount;
  const receive = (entry: CachedCount | 'failed') => {
    if (body.closed) return;
    if (entry === 'failed') {
      if (!sentStale) body.send(countEvent(shown, true));
      sentStale = true;
      return;
    }
    if (entry.count === null) {
      body.send({ event: 'gone', data: '{"error":"session-not-found"}' });
      close();
      return;
    }
    if (entry.changedAt < lastId || (entry.changedAt === lastId && !sentStale)) return;
    lastId = entry.changedAt;
    sentStale = false;
    shown = entry as ShownCount;
    body.send(countEvent(shown, false));
  };
  return {
    receive,
    begin(first: ShownCount, stale: boolean, lastEventId: string | null) {
      lastId = first.changedAt;
      const resumed = lastEventId === String(first.changedAt);
      body.send(countEvent(first, stale, resumed ? 'unchanged' : 'count'));
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

function countEvent(entry: ShownCount, stale: boolean, event = 'count'): SseMessage {
  return {
    event,
    id: String(entry.changedAt),
    data: JSON.stringify(countPayload(entry, stale)),
  };
}
