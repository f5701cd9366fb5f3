import type { CachedCount } from './types';

export interface EventStreamOptions {
  first: CachedCount & { count: number };
  stale: boolean;
  /** The client's `Last-Event-ID`, or `null`. */
  lastEventId: string | null;
  retryMs: number;
  heartbeatMs: number;
  /** Starts receiving the session's entries; resolves with the stop function. */
  watch(listener: (entry: CachedCount) => void): Promise<() => void>;
  /** Aborted when the client leaves. */
  signal: AbortSignal;
  /** Called with the function that ends the stream (the relay calls it when it closes). */
  onOpen(end: () => void): void;
  onClose(end: () => void): void;
  headers: Record<string, string>;
}

const encoder = new TextEncoder();

function countEvent(entry: CachedCount & { count: number }, stale: boolean): string {
  const data = JSON.stringify({ count: entry.count, updatedAt: entry.readAt, stale });
  return `event: count\nid: ${entry.changedAt}\ndata: ${data}\n\n`;
}

/**
 * A Server-Sent Events response of one session's count: an event at once (unless the client's
 * `Last-Event-ID` already names it), then one per change, with heartbeat comments. Every timer
 * and subscription ends when the client leaves.
 */
export function eventStream(options: EventStreamOptions): Response {
  let lastId = options.first.changedAt;
  // A client shown a stale count is told when a fresh read confirms it, even unchanged.
  let shownStale = options.stale;
  let closed = false;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let unwatch: (() => void) | undefined;
  let close: () => void = () => {};

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          close();
        }
      };
      close = () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        unwatch?.();
        options.signal.removeEventListener('abort', close);
        try {
          controller.close();
        } catch {
          // Already closed or cancelled by the reader.
        }
        options.onClose(close);
      };
      options.onOpen(close);
      if (options.signal.aborted) {
        close();
        return;
      }
      options.signal.addEventListener('abort', close, { once: true });

      send(`retry: ${options.retryMs}\n\n`);
      if (options.lastEventId !== String(options.first.changedAt)) {
        send(countEvent(options.first, options.stale));
      }
      heartbeat = setInterval(() => send(': ping\n\n'), options.heartbeatMs);
      options
        .watch((entry) => {
          if (entry.count === null) {
            send('event: gone\ndata: {"error":"session-not-found"}\n\n');
            close();
            return;
          }
          if (entry.changedAt < lastId || (entry.changedAt === lastId && !shownStale)) return;
          lastId = entry.changedAt;
          shownStale = false;
          send(countEvent(entry as CachedCount & { count: number }, false));
        })
        .then(
          (stop) => {
            if (closed) stop();
            else unwatch = stop;
          },
          () => close(),
        );
    },
    cancel() {
      close();
    },
  });

  return new Response(stream, {
    status: 200,
    headers: {
      ...options.headers,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store, no-transform',
      // nginx buffers responses unless told not to, which would hold events back.
      'X-Accel-Buffering': 'no',
    },
  });
}
