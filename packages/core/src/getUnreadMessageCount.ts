import { type CrispRestOptions, crispRest } from './crispRest';
import { isBrowser } from './environment';
import { isSessionId } from './ids';

/** Options of `getUnreadMessageCount`: a REST token, the session, and one request's settings. */
export interface GetUnreadMessageCountOptions extends CrispRestOptions {
  /**
   * The visitor's session, `session_<uuid>`. When omitted in a browser, the Crisp chatbox's
   * `$crisp.get("session:identifier")`; elsewhere `null`. `null` answers `null` with no request.
   */
  sessionId?: string | null | undefined;
  /** Aborts the request; the promise then resolves `null`. */
  signal?: AbortSignal | undefined;
}

/**
 * The Crisp Flutter plugin's `getUnreadMessageCount`, for one read: the visitor's unread count, or
 * `null` when there is no session (no request made) or anything fails. Never rejects for a runtime
 * failure; rejects with a `misconfigured` `UnreadError` for invalid options (a bad website id, a
 * missing key, a REST key in a browser without `dangerouslyAllowBrowser`).
 */
export async function getUnreadMessageCount(
  options: GetUnreadMessageCountOptions,
): Promise<number | null> {
  const source = crispRest(options);
  let { sessionId, signal } = options;
  if (sessionId === undefined && isBrowser()) {
    try {
      // Throws until Crisp's script has loaded (`get` does not exist), null before session:loaded.
      sessionId = (globalThis as { $crisp?: { get(key: string): string } }).$crisp?.get(
        'session:identifier',
      );
    } catch {}
  }
  // An aborted signal rejects before any request, and so answers null too.
  return isSessionId(sessionId)
    ? source.read(sessionId, { signal: signal ?? new AbortController().signal }).catch(() => null)
    : null;
}
