/** True where a page is: `window` and `document` exist. */
export function isBrowser(): boolean {
  return typeof window !== 'undefined' && typeof document !== 'undefined';
}

interface CrispGlobal {
  get?: (key: string) => unknown;
}

/**
 * The chatbox's session id, read defensively: `$crisp.get` throws until Crisp's script has loaded
 * and answers null before `session:loaded`.
 */
export function readChatboxSessionId(): string | null {
  if (!isBrowser()) return null;
  const crisp = (globalThis as { $crisp?: CrispGlobal }).$crisp;
  try {
    const value = typeof crisp?.get === 'function' ? crisp.get('session:identifier') : null;
    return typeof value === 'string' && value !== '' ? value : null;
  } catch {
    return null;
  }
}
