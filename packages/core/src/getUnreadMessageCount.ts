import { type CrispRestOptions, crispRest } from './crispRest';
import { readChatboxSessionId } from './environment';
import { isSessionId } from './ids';

/** Options of `getUnreadMessageCount`: a REST token, the session, and one request's settings. */
export interface GetUnreadMessageCountOptions extends CrispRestOptions {
  /**
   * The visitor's session, `session_<uuid>`. When omitted in a browser, the Crisp chatbox's
   * `$crisp.get("session:identifier")`; elsewhere `null`. `null` answers `null` with no request.
   */
  sessionId?: string | null;
  /** Aborts the request; the promise then resolves `null`. */
  signal?: AbortSignal;
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
  const sessionId = options.sessionId === undefined ? readChatboxSessionId() : options.sessionId;
  if (sessionId === null || !isSessionId(sessionId)) return null;
  if (options.signal?.aborted) return null;
  try {
    return await source.read(sessionId, { signal: options.signal ?? new AbortController().signal });
  } catch {
    return null;
  }
}
