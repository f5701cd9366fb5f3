import type { ReadOutcome } from './countReader';
import type { FirstReadRefusal } from './firstReads';
import { countPayload, errorBody, json, rateLimited, retryAfter } from './responses';
import type { StreamRefusal } from './streamSlots';
import { isNotSubscribed } from './upstreamHealth';

// What the session routes answer: a count, or why there is none.

/** `GET /sessions/{id}/unread`'s body (`UnreadCountBody`). */
export function countBody(outcome: Extract<ReadOutcome, { kind: 'count' }>): Response {
  return json(200, countPayload(outcome.entry, outcome.stale));
}

export const invalidSessionId = () =>
  errorBody(400, 'invalid-session-id', 'The session id must be session_ and a UUID.');

/** How long a client refused a stream is told to wait: no stream's end can be foreseen. */
const streamRetryMs = 30_000;

/** 429 when the client holds its share of streams, 503 when the relay holds all it may. */
export function streamRefused(refusal: StreamRefusal): Response {
  return refusal === 'client'
    ? errorBody(
        429,
        'too-many-streams',
        'This client has too many open streams.',
        {},
        retryAfter(streamRetryMs),
      )
    : errorBody(
        503,
        'too-many-streams',
        'The relay holds as many streams as it may.',
        {},
        retryAfter(streamRetryMs),
      );
}

export function firstReadRefused(refusal: FirstReadRefusal): Response {
  switch (refusal.refused) {
    case 'client':
      return rateLimited(refusal.waitMs, 'Too many new sessions from this client.');
    case 'unknown-sessions':
      return errorBody(
        429,
        'rate-limited',
        'Too many sessions Crisp does not know from this client.',
        {},
        retryAfter(refusal.waitMs),
      );
  }
}

export function outcomeError(outcome: Exclude<ReadOutcome, { kind: 'count' }>): Response {
  switch (outcome.kind) {
    case 'gone':
      return errorBody(404, 'session-not-found', 'Crisp has no such session.');
    case 'budget-exhausted':
      return errorBody(
        503,
        'budget-exhausted',
        "The relay's daily budget of Crisp API calls is spent and this count was never read.",
        {},
        retryAfter(outcome.retryAfterMs),
      );
    case 'failed': {
      const { code } = outcome.failure;
      if (isNotSubscribed(outcome.failure)) {
        return errorBody(
          502,
          'upstream-not-subscribed',
          'Crisp answers not_subscribed: the plugin is not installed on this website.',
        );
      }
      if (code === 'unauthorized') {
        return errorBody(502, 'upstream-unauthorized', "Crisp refused the relay's credentials.");
      }
      if (code === 'forbidden') {
        return errorBody(502, 'upstream-forbidden', "Crisp does not allow the relay's token here.");
      }
      if (code === 'rate-limited') {
        return errorBody(
          503,
          'upstream-unavailable',
          'Crisp rate-limited the relay.',
          { upstream: code },
          retryAfter(outcome.failure.retryAfterMs ?? 60_000),
        );
      }
      return errorBody(
        code === 'timeout' ? 504 : 502,
        'upstream-unavailable',
        `Crisp could not be read (${code}).`,
        { upstream: code },
      );
    }
  }
}
