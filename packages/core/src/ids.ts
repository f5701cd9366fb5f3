/** A Crisp website id: a UUID. Nothing else may reach a URL path. */
export function isWebsiteId(value: unknown): value is string {
  return typeof value === 'string' && /^[\da-f]{8}(-[\da-f]{4}){3}-[\da-f]{12}$/i.test(value);
}

/** A Crisp session id: `session_` and a UUID. Nothing else may reach a URL path. */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && /^session_/i.test(value) && isWebsiteId(value.slice(8));
}

/**
 * The one spelling of a session id: Crisp's ids are lower case, and letter-case variants of one id
 * must share one cache entry, one read and one stream. `null` when the value is not
 * `session_<uuid>` in any case.
 */
export function normalizeSessionId(value: unknown): string | null {
  return isSessionId(value) ? value.toLowerCase() : null;
}

/** Shows a caller's bad value in an error message without echoing a long or hostile string. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 64 ? `a ${value.length}-character string` : JSON.stringify(value);
  return value == null || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : `a value of type ${typeof value}`;
}
