import { request } from 'node:http';

/**
 * A visitor: requests leave from its own loopback address (127.0.0.0/8 is all loopback on
 * Linux), so the relay's per-client limits see one address per visitor, as behind no proxy.
 */
export interface Visitor {
  readonly address: string;
  get(url: string): Promise<{ status: number; body: unknown }>;
  stream(url: string): Promise<EventStream>;
}

export interface CountEvent {
  count: number;
  updatedAt: number;
  stale: boolean;
}

export interface EventStream {
  readonly status: number;
  /** The next `event: count`, or a rejection after `timeoutMs`. */
  next(timeoutMs?: number): Promise<CountEvent>;
  /** Closes the connection, as a browser leaving the page. */
  close(): void;
}

function open(url: string, address: string) {
  return new Promise<import('node:http').IncomingMessage & { abort(): void }>((resolve, reject) => {
    const req = request(url, { localAddress: address, headers: { Accept: '*/*' } }, (res) => {
      resolve(Object.assign(res, { abort: () => req.destroy() }));
    });
    req.once('error', reject);
    req.end();
  });
}

/** Splits an SSE body into its `count` events, in order. */
function countEvents(response: import('node:http').IncomingMessage): EventStream['next'] {
  const events: CountEvent[] = [];
  const waiting: ((event: CountEvent) => void)[] = [];
  let buffer = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    buffer += chunk;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const lines = block.split('\n');
      if (!lines.includes('event: count')) continue;
      const data = lines.find((line) => line.startsWith('data: '));
      if (!data) continue;
      const event = JSON.parse(data.slice(6)) as CountEvent;
      const waiter = waiting.shift();
      if (waiter) waiter(event);
      else events.push(event);
    }
  });
  response.on('error', () => undefined);
  return (timeoutMs = 5000) => {
    const ready = events.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(settle), 1);
        reject(new Error(`no count event in ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = (event: CountEvent) => {
        clearTimeout(timer);
        resolve(event);
      };
      waiting.push(settle);
    });
  };
}

export function visitor(address: string): Visitor {
  return {
    address,
    async get(url) {
      const response = await open(url, address);
      let text = '';
      response.setEncoding('utf8');
      for await (const chunk of response) text += chunk;
      return { status: response.statusCode ?? 0, body: text ? JSON.parse(text) : null };
    },
    async stream(url) {
      const response = await open(url, address);
      const status = response.statusCode ?? 0;
      if (status !== 200) response.resume();
      return {
        status,
        next: status === 200 ? countEvents(response) : () => Promise.reject(new Error(`${status}`)),
        close: () => response.abort(),
      };
    },
  };
}
