// A Server-Sent Events body: a ReadableStream the relay writes through its controller.
//
// Why not hono's `streamSSE`: it writes through a TransformStream that a second ReadableStream
// pulls from, so every 9-byte heartbeat crosses two streams and awaits a writer's promise. In the
// bench's simulated day (relay-day: the relay and its pages in one process) that path took about a
// fifth of the CPU; a controller's `enqueue` hands the chunk straight to the response's pending
// read. The format it writes is the part of `writeSSE` the relay uses: an event name, `data:`
// lines and an id.

/** One event: its name, its data (one `data:` line per line of it), its id. */
export interface SseMessage {
  readonly event: string;
  readonly data: string;
  readonly id?: string | undefined;
}

export interface SseBody {
  readonly stream: ReadableStream<Uint8Array>;
  /** True once closed, by the relay or by the client leaving: nothing is written then. */
  readonly closed: boolean;
  /** Writes `text` as it is: a comment, a bare `retry:`. */
  write(text: string): void;
  send(message: SseMessage): void;
  /** Ends the body after what was written. */
  close(): void;
}

const encoder = new TextEncoder();

/** An SSE body; `onCancel` runs when the client (or the server adapter) cancels it. */
export function sseBody(onCancel: () => void): SseBody {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  const stream = new ReadableStream<Uint8Array>({
    start: (started) => {
      controller = started;
    },
    cancel: () => {
      closed = true;
      onCancel();
    },
  });
  const write = (text: string) => {
    if (!closed) controller.enqueue(encoder.encode(text));
  };
  return {
    stream,
    get closed() {
      return closed;
    },
    write,
    send: (message) => write(formatMessage(message)),
    close: () => {
      if (closed) return;
      closed = true;
      controller.close();
    },
  };
}

function formatMessage({ event, data, id }: SseMessage): string {
  for (const field of [event, id]) {
    // A line break would start a field of the client's choosing: a programming error here.
    if (field !== undefined && /[\r\n]/.test(field)) throw new Error('SSE field with a line break');
  }
  const lines = data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join('');
  return `event: ${event}\n${lines}${id === undefined ? '' : `id: ${id}\n`}\n`;
}
