/** Why a count could not be read. */
export type UnreadErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'session-not-found'
  | 'rate-limited'
  | 'timeout'
  | 'network'
  | 'server'
  | 'invalid-response'
  | 'misconfigured';

/** Marks an `UnreadError` across copies of the library (`instanceof` fails across copies). */
const brand = /* @__PURE__ */ Symbol.for('crisp-unread.UnreadError');

export interface UnreadErrorOptions {
  /** The HTTP status, where there was one. */
  status?: number | undefined;
  /** How long the server asked us to wait (from `Retry-After`), where it said. */
  retryAfterMs?: number | undefined;
  cause?: unknown | undefined;
}

/** The one error type of crisp-unread. Never carries a credential. */
export class UnreadError extends Error {
  override readonly name = 'UnreadError';
  declare readonly code: UnreadErrorCode;
  declare readonly status: number | undefined;
  declare readonly retryAfterMs: number | undefined;
  // Set in the constructor: a computed class field would keep the class in every bundle.
  declare readonly [brand]: true;

  constructor(code: UnreadErrorCode, message: string, options: UnreadErrorOptions = {}) {
    // Error reads `cause` from the options (and sets it only when the key is there).
    super(message, options);
    this[brand] = true;
    this.code = code;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** True for failures that a later attempt may cure (timeouts, network, 5xx, bad bodies). */
  get transient(): boolean {
    return ['timeout', 'network', 'server', 'invalid-response'].includes(this.code);
  }
}

/** Recognises an `UnreadError`, even one thrown by another copy of the library. */
export function isUnreadError(value: unknown): value is UnreadError {
  return (value as { [brand]?: unknown } | null | undefined)?.[brand] === true;
}

/**
 * Throws the one clear error for a bad option: `misconfigured` with `"<scope>: <message>"`. The
 * message names the option and the value expected, never a secret. Shared by every package that
 * depends on core (the relay passes `'crisp-unread relay'`).
 */
export function misconfigured(message: string, scope = 'crisp-unread'): never {
  throw new UnreadError('misconfigured', `${scope}: ${message}`);
}
