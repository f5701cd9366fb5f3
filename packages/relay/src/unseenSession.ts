import type { RelayStore } from './types';

/**
 * Whether the relay's store holds no count for a session (not even "gone"): reading it would
 * cost an upstream call. The first-read limit asks this before a read; so may a budget policy.
 * A store that fails to answer counts as unseen, the side that costs.
 */
export async function isUnseenSession(store: RelayStore, sessionId: string): Promise<boolean> {
  try {
    return (await store.getCount(sessionId)) === undefined;
  } catch {
    return true;
  }
}
