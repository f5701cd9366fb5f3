import type { Context, Hono } from 'hono';
import type { ReadOutcome } from './countReader';
import { eventStream, type FirstCount } from './eventStream';
import { outcomeError, streamRefused } from './readAnswers';
import type { RelayParts } from './relayParts';
import type { RelayEnv } from './requestClient';
import { readSession, type SessionRead } from './sessionRead';

/**
 * `GET /sessions/{id}/unread/stream`: SSE that opens at once, its first count following when
 * read, then every change. Each stream holds a slot (per client and in all) until it ends.
 */
export function mountStreamRoute(routes: Hono<RelayEnv>, parts: RelayParts): void {
  routes.get('/sessions/:sessionId/unread/stream', async (c) => {
    let release: (() => void) | undefined;
    const claim = () => {
      const slot = parts.slots.claim(parts.client(c));
      if (typeof slot !== 'function') return streamRefused(slot);
      release = slot;
      return null;
    };
    let read: Response | SessionRead;
    try {
      read = await readSession(parts, c, claim);
    } catch (error) {
      release?.();
      throw error;
    }
    if (read instanceof Response) {
      release?.();
      return read;
    }
    // Known at once (cached, or a failure remembered): a refusal is an HTTP answer as before.
    if ('now' in read && read.now.kind !== 'count') {
      release?.();
      return outcomeError(read.now);
    }
    return openStream(parts, c, read, () => release?.());
  });
}

function openStream(
  { settings: s, reader, watchers, streams, heartbeat }: RelayParts,
  c: Context<RelayEnv>,
  read: SessionRead,
  release: () => void,
): Response {
  const { sessionId } = read;
  const lastEventId = c.req.header('last-event-id') ?? null;
  return eventStream(c, {
    first: ('now' in read ? Promise.resolve(read.now) : read.later).then(firstCount),
    lastEventId: lastEventId && lastEventId.length <= 32 ? lastEventId : null,
    retryMs: s.sseRetryMs,
    heartbeat,
    watch: (listener) => watchers.add(sessionId, listener),
    // Read through the cache: fresh, it costs no call; marked changed by a web hook that landed
    // while the stream opened (its re-read deferred, the session not yet watched), it is read.
    latest: async () => {
      const now = await reader.current(sessionId);
      if (now.kind === 'gone') return { count: null, readAt: s.now(), changedAt: s.now() };
      return now.kind === 'count' && !now.stale ? now.entry : 'failed';
    },
    signal: c.req.raw.signal,
    onOpen: (end) => streams.opened(end),
    onClose: (end) => {
      streams.closed(end);
      release();
    },
  });
}

function firstCount(outcome: ReadOutcome): FirstCount {
  if (outcome.kind === 'count') return { entry: outcome.entry, stale: outcome.stale };
  return outcome.kind === 'gone' ? 'gone' : 'failed';
}
