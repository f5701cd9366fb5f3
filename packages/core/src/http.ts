import { parseRetryAfter } from './backoff';
import { UnreadError } from './errors';
import { readErrorReason } from './schema';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface JsonRequest {
  url: string;
  method: 'GET' | 'PATCH';
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal | undefined;
  timeoutMs: number;
  fetch: FetchLike | undefined;
  /** Names the service in error messages. */
  service: string;
}

export interface JsonResponse {
  status: number;
  body: unknown;
}

/**
 * One HTTP exchange with a deadline covering the body too. Resolves with the parsed JSON of a 2xx
 * answer; rejects with an `UnreadError` that says what went wrong and never names a credential.
 */
export async function requestJson(request: JsonRequest): Promise<JsonResponse> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, request.timeoutMs);
  const onAbort = () => controller.abort();
  request.signal?.addEventListener('abort', onAbort, { once: true });
  if (request.signal?.aborted) controller.abort();
  try {
    const fetchFn = request.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const init: RequestInit = {
      method: request.method,
      headers: request.headers,
      signal: controller.signal,
    };
    if (request.body !== undefined) init.body = request.body;
    const response = await fetchFn(request.url, init);
    const text = await response.text();
    if (response.ok)
      return { status: response.status, body: parseJson(text, request.service, response.status) };
    throw errorForStatus(response, text, request.service);
  } catch (cause) {
    if (cause instanceof UnreadError) throw cause;
    if (timedOut) {
      throw new UnreadError(
        'timeout',
        `${request.service} did not answer within ${request.timeoutMs} ms.`,
        { cause },
      );
    }
    if (request.signal?.aborted) {
      throw new UnreadError('network', `The request to ${request.service} was aborted.`, { cause });
    }
    throw new UnreadError(
      'network',
      `${request.service} could not be reached: ${describeCause(cause)}.`,
      { cause },
    );
  } finally {
    clearTimeout(timer);
    request.signal?.removeEventListener('abort', onAbort);
  }
}

function parseJson(text: string, service: string, status: number): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new UnreadError(
      'invalid-response',
      `${service} answered ${status} with a body that is not JSON.`,
      {
        status,
      },
    );
  }
}

function errorForStatus(response: Response, text: string, service: string): UnreadError {
  const status = response.status;
  let reason: string | undefined;
  try {
    reason = readErrorReason(JSON.parse(text));
  } catch {
    reason = undefined;
  }
  // Crisp's reasons are short snake_case words; anything else is not repeated in a message, so a
  // server that echoes a header back cannot put a credential into an error.
  const said = reason && /^[a-z][a-z0-9_]{0,47}$/i.test(reason) ? ` (${reason})` : '';
  if (status === 401) {
    return new UnreadError(
      'unauthorized',
      `${service} refused the credentials${said}: check the identifier and key.`,
      { status },
    );
  }
  if (status === 403) {
    return new UnreadError(
      'forbidden',
      `${service} does not allow this token here${said}: check the tier and the website.`,
      { status },
    );
  }
  if (status === 404) {
    return new UnreadError('session-not-found', `${service} has no such session${said}.`, {
      status,
    });
  }
  if (status === 420 || status === 429) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    const options = retryAfterMs === undefined ? { status } : { status, retryAfterMs };
    return new UnreadError(
      'rate-limited',
      `${service} rate-limited the request (${status})${said}.`,
      options,
    );
  }
  if (status >= 500) {
    return new UnreadError('server', `${service} failed with ${status}${said}.`, { status });
  }
  return new UnreadError(
    'invalid-response',
    `${service} answered an unexpected ${status}${said}.`,
    { status },
  );
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause.cause as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? `${cause.message} (${code})` : cause.message;
  }
  return 'unknown failure';
}
