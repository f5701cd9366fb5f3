import { UnreadError } from './errors';

/** One dispatched Server-Sent Event. */
export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * A small Server-Sent Events parser (the WHATWG event stream format): feed it text as it comes;
 * it calls `onEvent` per dispatched event. Comments (heartbeats) and unknown fields are skipped.
 * `service` names the server in the error for a line over 1 MiB.
 */
export function sseParser(
  onEvent: (event: SseEvent) => void,
  service = 'The server',
): (chunk: string) => void {
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

/**
 * Reads a Server-Sent Events body to its end: `onEvent` per event, `onChunk` per chunk received
 * (heartbeats included). A missing body is a stream that ended at once.
 */
export async function readEvents(
  body: ReadableStream<Uint8Array> | null,
  onEvent: (event: SseEvent) => void,
  onChunk: () => void,
  service?: string,
): Promise<void> {
  const parse = sseParser(onEvent, service);
  const reader = body?.getReader();
  const decoder = new TextDecoder();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) return;
    onChunk();
    parse(decoder.decode(value, { stream: true }));
  }
}

/** Where a client's streams of one key resume: the last event id seen, and the streams open. */
export interface ResumePoint {
  id: string | undefined;
  open: number;
}

/**
 * The last event id of each key's streams, kept from one connection to the next (sent as
 * `Last-Event-ID`, so the server does not resend what was seen). A key goes when the last of its
 * open streams closes unless told to keep it (a re-connection follows), or on `forget`; once there
 * are `limit` keys, those kept for a re-connection that never came go first.
 */
export function resumePoints(limit = 32) {
  const points = new Map<string, ResumePoint>();
  const forget = (key: string, point: ResumePoint) => {
    if (points.get(key) === point) points.delete(key);
  };
  return {
    points: points as ReadonlyMap<string, ResumePoint>,
    /** A stream of `key` opens: its resume point, held until `close`. */
    open(key: string): ResumePoint {
      let point = points.get(key);
      if (!point) {
        for (const [idle, { open }] of points) {
          if (points.size < limit) break;
          if (open === 0) points.delete(idle);
        }
        point = { id: undefined, open: 0 };
        points.set(key, point);
      }
      point.open++;
      return point;
    },
    /** A stream of `key` closed; `keep` keeps the id for a re-connection when it was the last. */
    close(key: string, point: ResumePoint, keep: boolean): void {
      if (--point.open === 0 && !keep) forget(key, point);
    },
    forget,
  };
}
