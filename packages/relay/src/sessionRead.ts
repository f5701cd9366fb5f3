import { normalizeSessionId } from '@crisp-unread/core';
import type { Context } from 'hono';
import type { ReadOutcome } from './countReader';
import { firstReadRefused, invalidSessionId } from './readAnswers';
import type { RelayParts } from './relayParts';
import type { RelayEnv } from './requestClient';
import { rateLimited } from './responses';

/** A session's read: answered by the cache `now`, or read from Crisp `later` (a cold session). */
export type SessionRead =
  | { sessionId: string; now: ReadOutcome }
  | { sessionId: string; later: Promise<ReadOutcome> };

/**
 * What both session routes start with: the rate limit, the id check, `before` (the stream
 * slot), the first-read limit and a read; or the answer that refused it.
 */
export async function readSession(
  parts: RelayParts,
  c: Context<RelayEnv>,
  before: () => Response | null = () => null,
): Promise<Response | SessionRead> {
  const { limits, client, reader } = parts;
  const waitMs = (await limits.rate?.take(client(c))) ?? 0;
  if (waitMs > 0) return rateLimited(waitMs);
  const sessionId = normalizeSessionId(c.req.param('sessionId'));
  if (sessionId === null) return invalidSessionId();
  const refusedSlot = before();
  if (refusedSlot) return refusedSlot;
  const admitted = await limits.firstReads.admit(client(c), sessionId);
  if ('refused' in admitted) return firstReadRefused(admitted);
  // A strike is kept for a session Crisp does not know, given back for any other outcome.
  const done = (outcome?: ReadOutcome) =>
    admitted.done(outcome?.kind === 'count' || outcome?.kind === 'gone' ? outcome.kind : 'other');
  let started: Awaited<ReturnType<typeof reader.start>>;
  try {
    started = await reader.start(sessionId);
  } catch (error) {
    done();
    throw error;
  }
  if ('now' in started) {
    done(started.now);
    return { sessionId, now: started.now };
  }
  // The first read's admission lasts as long as the read, however long the client waits.
  started.later.then(done, () => done());
  return { sessionId, later: started.later };
}
