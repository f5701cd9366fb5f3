/** The first element of every query key crisp-unread writes: invalidate it to re-read every count. */
export const unreadQueryRoot = 'crisp-unread' as const;

/**
 * The query key of one session's count. `scope` is the source's scope (for Crisp REST, the
 * website id). Pass it to `queryClient.invalidateQueries({ queryKey })` to re-read that count now;
 * `['crisp-unread']` matches them all and `['crisp-unread', scope]` a whole website.
 */
export function unreadQueryKey(
  scope: string,
  sessionId: string,
): readonly ['crisp-unread', string, string] {
  return [unreadQueryRoot, scope, sessionId];
}
