import { createHash, timingSafeEqual } from 'node:crypto';

/** The identifier and key of a Basic `Authorization` header, or `null` when it is not one. */
export function parseBasicAuth(
  header: string | undefined,
): { identifier: string; key: string } | null {
  if (!header) return null;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { identifier: decoded.slice(0, colon), key: decoded.slice(colon + 1) };
}

// Hashing first gives timingSafeEqual two equal-length buffers whatever the inputs' lengths.
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Compares two secrets in time independent of where they differ. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Encodes the `Authorization` header value for an identifier and key. */
export function basicAuth(identifier: string, key: string): string {
  return `Basic ${Buffer.from(`${identifier}:${key}`, 'utf8').toString('base64')}`;
}
