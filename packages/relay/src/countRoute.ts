import type { Hono } from 'hono';
import { countBody, outcomeError } from './readAnswers';
import type { RelayParts } from './relayParts';
import type { RelayEnv } from './requestClient';
import { errorBody, retryAfter } from './responses';
import { readSession } from './sessionRead';
import { within } from './within';

/** `GET /sessions/{id}/unread`: the count, waiting `firstReadWaitMs` at most for a first read. */
export function mountCountRoute(routes: Hono<RelayEnv>, parts: RelayParts): void {
  const { firstReadWaitMs } = parts.settings;
  routes.get('/sessions/:sessionId/unread', async (c) => {
    const read = await readSession(parts, c);
    if (read instanceof Response) return read;
    const outcome = 'now' in read ? read.now : await within(read.later, firstReadWaitMs);
    if (outcome === 'late') {
      // The read goes on: a retry joins it, or finds its count cached.
      return errorBody(
        503,
        'upstream-unavailable',
        'Crisp is slow to answer the first read of this session; it goes on.',
        { upstream: 'timeout' },
        retryAfter(firstReadWaitMs),
      );
    }
    return outcome.kind === 'count' ? countBody(outcome) : outcomeError(outcome);
  });
}
