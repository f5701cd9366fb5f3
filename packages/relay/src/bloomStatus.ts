import type { FetchLike } from '@crisp-unread/core';

/**
 * Notes the `Bloom-Status` header (Crisp's cache layer: `MISS`, `HIT`, `DIRECT`, `OFFLINE`) of each
 * conversation read, by session. Core's `crispRest` answers a count only, so the header is caught
 * on the way, by the `fetch` the relay gives it; reads of one session are single-flight in an
 * instance, so the last answer noted is the read's own.
 */
export function bloomStatusNotes(base: FetchLike | undefined) {
  const notes = new Map<string, string>();
  const fetch: FetchLike = async (input, init) => {
    const response = await (base ?? globalThis.fetch)(input, init);
    const sessionId = /\/conversation\/(session_[0-9a-f-]{36})$/i.exec(
      new URL(input).pathname,
    )?.[1];
    if (sessionId !== undefined && init.method !== 'PATCH') {
      notes.set(sessionId.toLowerCase(), response.headers.get('bloom-status') ?? '');
      // One entry per session in flight at most; a bound against a leak all the same.
      if (notes.size > 10_000) notes.delete(notes.keys().next().value as string);
    }
    return response;
  };
  return {
    fetch,
    /** The session's last noted status, forgotten once read; `null` when none. */
    take(sessionId: string): string | null {
      const status = notes.get(sessionId);
      notes.delete(sessionId);
      return status || null;
    },
  };
}
