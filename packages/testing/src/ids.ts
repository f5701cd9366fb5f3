import { randomUUID } from 'node:crypto';

const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const websiteIdPattern = new RegExp(`^${uuid}$`, 'i');
const sessionIdPattern = new RegExp(`^session_${uuid}$`, 'i');

/** A Crisp website id: a UUID. */
export function isWebsiteId(value: unknown): value is string {
  return typeof value === 'string' && websiteIdPattern.test(value);
}

/** A Crisp session id: `session_` and a UUID. */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && sessionIdPattern.test(value);
}

/** A fresh random session id. */
export function newSessionId(): string {
  return `session_${randomUUID()}`;
}

/** Shows a caller's bad value in an error message without echoing a long or hostile string. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > 64 ? `a ${value.length}-character string` : JSON.stringify(value);
  }
  if (
    value === null ||
    value === undefined ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  ) {
    return String(value);
  }
  return `a value of type ${typeof value}`;
}
