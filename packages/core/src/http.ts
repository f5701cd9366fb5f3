import { isUnreadError, UnreadError } from './errors';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface JsonRequest {
  url: string;
  method: 'GET' | 'PATCH';
  headers: Record<string, string>;
  body?: string | undefined;
  signal: AbortSignal | undefined;
  timeoutMs: number;
  fetch: FetchLike | undefined;
  /** Names the service in error messages. */
  service: string;
  /**
   * The error for a non-2xx answer, given its status, its body parsed as JSON (`undefined` when it
   * is not JSON) and the response (for its headers). Defaults to a `server` error for a 5xx and an
   * `invalid-response` error otherwise, with the status.
   */
  errorFor?: ((status: number, body: unknown, response: Response) => UnreadError) | undefined;
}

export interface JsonResponse {
  status: number;
  body: unknown;
}

/**
 * One HTTP exchange with a deadline covering the body too. Resolves with the parsed JSON of a 2xx
 * answer (`undefined` for an empty one); rejects with an `UnreadError` that says what went wrong
 * and never names a credential. An `UnreadError` thrown by `fetch` is passed on as it is.
 */
export async function requestJson({
  url,
  method,
  headers,
  body,
  signal,
  timeoutMs,
  fetch,
  service,
  errorFor,
}: JsonRequest): Promise<JsonResponse> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const timer = setTimeout(abort, timeoutMs);
  signal?.addEventListener('abort', abort);
  let response: Response;
  let text: string;
  try {
    signal?.throwIfAborted();
    response = await (fetch ?? globalThis.fetch)(url, {
      method,
      headers,
      body: body ?? null,
      signal: controller.signal,
    });
    text = await response.text();
  } catch (cause) {
    if (isUnreadError(cause)) throw cause;
    const aborted = signal?.aborted;
    const timedOut = !aborted && controller.signal.aborted;
    throw new UnreadError(
      timedOut ? 'timeout' : 'network',
      timedOut
        ? `${service} did not answer within ${timeoutMs} ms.`
        : aborted
          ? `The request to ${service} was aborted.`
          : `${service} could not be reached: ${describeCause(cause)}.`,
      { cause },
    );
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', abort);
  }
  const { ok, status } = response;
  let json: unknown;
  try {
    json = text.trim() ? JSON.parse(text) : undefined;
  } catch {
    if (ok) {
      throw new UnreadError(
        'invalid-response',
        `${service} answered ${status} with invalid JSON.`,
        {
          status,
        },
      );
    }
  }
  if (ok) return { status, body: json };
  throw errorFor
    ? errorFor(status, json, response)
    : new UnreadError(
        status >= 500 ? 'server' : 'invalid-response',
        `${service} answered ${status}.`,
        { status },
      );
}

/** The failure's message, with the system's code (`ECONNREFUSED`) where there is one. */
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return 'unknown failure';
  const code = (cause.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${cause.message} (${code})` : cause.message;
}
