// What the relay holds at the start of the simulated day: the counts it read on earlier days, as
// long as it keeps them, and as wrong as the web hooks lost since left them.
import { memoryStore, type RelayStore } from '@crisp-unread/relay';
import type { CrispEmulator } from '@crisp-unread/testing';
import { inProcessCrisp } from './inProcessCrisp';
import type { Visitor } from './trafficModel';

/** What a variant's server is built from (as simulateDay's `Variant.build` takes it). */
interface Buildable {
  build(context: {
    crisp: ReturnType<typeof inProcessCrisp>;
    store: RelayStore;
    website: ReturnType<CrispEmulator['createWebsite']>;
  }): { fetch(request: Request): Promise<Response>; close(): Promise<void> };
}

/**
 * How long the variant's server keeps a count it read: the `retainMs` it passes its store when it
 * caches one, learnt from one read of a throwaway session on its own website (so that the day's
 * calls and store are untouched). The relay exports no such setting today (a module constant in
 * its countReader.ts), and asking it is what follows the setting when it becomes an option.
 * 0 for a server that keeps nothing (the naive proxy).
 */
export async function retentionOf(variant: Buildable, emulator: CrispEmulator): Promise<number> {
  const website = emulator.createWebsite();
  const sessionId = emulator.createSession(website.websiteId);
  const seen: number[] = [];
  const inner = memoryStore();
  const store: RelayStore = {
    ...inner,
    setCount(id, entry, retainMs) {
      seen.push(retainMs);
      return inner.setCount(id, entry, retainMs);
    },
  };
  const server = variant.build({
    crisp: inProcessCrisp(emulator, website.websiteId),
    store,
    website,
  });
  try {
    const response = await server.fetch(
      new Request(`http://relay.sim/sessions/${sessionId}/unread`, {
        headers: { 'X-Forwarded-For': '192.0.2.1' },
      }),
    );
    await response.arrayBuffer();
  } finally {
    await server.close();
  }
  return seen.length === 0 ? 0 : Math.max(...seen);
}

/**
 * Writes into `store` the count of each returning visitor the relay read within `retainMs` before
 * `dayStart`, with what is left of its retention; returns how many it wrote.
 */
export async function seedEarlierDays(
  store: RelayStore,
  visitors: readonly Visitor[],
  sessions: readonly string[],
  dayStart: number,
  retainMs: number,
): Promise<number> {
  let seeded = 0;
  const writes: Promise<void>[] = [];
  visitors.forEach((visitor, index) => {
    if (!visitor.returning || visitor.lastReadAgoMs >= retainMs) return;
    const readAt = dayStart - visitor.lastReadAgoMs;
    const entry = { count: visitor.heldBefore, readAt, changedAt: readAt };
    seeded += 1;
    writes.push(store.setCount(sessions[index]!, entry, retainMs - visitor.lastReadAgoMs));
  });
  await Promise.all(writes);
  return seeded;
}
