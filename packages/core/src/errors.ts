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

const brand = Symbol.for('crisp-unread.UnreadError');

export interface UnreadErrorOptions {
  /** The HTTP status, where there was one. */
  status?: number;
  /** How long the server asked us to wait (from `Retry-After`), where it said. */
  retryAfterMs?: number;
  cause?: unknown;
}

/** The one error type of crisp-unread. Never carries a credential. */
export class UnreadError extends Error {
  override readonly name = 'UnreadError';
  readonly code: UnreadErrorCode;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly [brand] = true;

  constructor(code: UnreadErrorCode, message: string, options: UnreadErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** True for failures that a later attempt may cure (timeouts, network, 5xx, bad bodies). */
  get transient(): boolean {
    return (
      this.code === 'timeout' ||
      this.code === 'network' ||
      this.code === 'server' ||
      this.code === 'invalid-response'
    );
  }
}

/** Recognises an `UnreadError`, even one thrown by another copy of the library. */
export function isUnreadError(value: unknown): value is UnreadError {
  return (
    typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true
  );
}

/** Throws the one clear error for a bad option. */
export function misconfigured(message: string): never {
  throw new UnreadError('misconfigured', `crisp-unread: ${message}`);
}
