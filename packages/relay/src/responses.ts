import type { CachedCount, UnreadCountBody } from './types';

/** A count as the relay answers it, in the JSON body and in each SSE `count` event alike. */
export function countPayload(
  entry: CachedCount & { count: number },
  stale: boolean,
): UnreadCountBody {
  return {
    count: entry.count,
    updatedAt: entry.readAt,
    stale,
    ...(entry.assumed ? { assumed: true } : {}),
  };
}

/** A JSON answer that no cache keeps. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      ...headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
    },
  });
}

/** The relay's error answer: `{ error, message, …extra }`. */
export function errorBody(
  status: number,
  error: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  return json(status, { error, message, ...extra }, headers);
}

/** A `Retry-After` header of whole seconds (at least 1). */
export const retryAfter = (ms: number) => ({
  'Retry-After': String(Math.max(1, Math.ceil(ms / 1000))),
});

/** 429 `rate-limited` with `Retry-After`. */
export const rateLimited = (waitMs: number, message = 'Too many requests from this client.') =>
  errorBody(429, 'rate-limited', message, {}, retryAfter(waitMs));
