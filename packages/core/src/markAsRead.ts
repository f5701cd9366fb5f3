import type { QueryClient } from '@tanstack/query-core';
import type { BehaviorSubject } from 'rxjs';
import { misconfigured } from './errors';
import { toUnreadError } from './reading';
import type { UnreadReading, UnreadSource } from './types';

export interface MarkOptions {
  client: QueryClient;
  source: UnreadSource;
  sessionId: string;
  queryKey: readonly unknown[];
  /** Marks in progress: the store makes no read while one runs. */
  marking$: BehaviorSubject<number>;
}

/**
 * Marks the visitor's messages as read: 0 shows at once and is rolled back if the source fails.
 * A read in flight is cancelled first, and none starts until the source has marked: a read that
 * reached the server before the mark would answer the old count and undo the 0.
 */
export async function markAsRead(options: MarkOptions): Promise<void> {
  const { client, source, sessionId, queryKey, marking$ } = options;
  if (!source.markAsRead) misconfigured(`the ${source.kind} source cannot mark messages as read.`);
  marking$.next(marking$.value + 1);
  try {
    await client.cancelQueries({ queryKey, exact: true });
    const before = client.getQueryState(queryKey);
    client.setQueryData<UnreadReading>(queryKey, { count: 0, stale: false });
    const markedAt = client.getQueryState(queryKey)?.dataUpdatedAt;
    try {
      await source.markAsRead(sessionId, { signal: new AbortController().signal });
    } catch (error) {
      // Roll back only our own 0: a newer read or push since then stays.
      if (before?.data !== undefined && client.getQueryState(queryKey)?.dataUpdatedAt === markedAt)
        client.setQueryData(queryKey, before.data, { updatedAt: before.dataUpdatedAt });
      throw toUnreadError(error);
    }
  } finally {
    marking$.next(marking$.value - 1);
  }
}
