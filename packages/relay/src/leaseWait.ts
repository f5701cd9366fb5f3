import type { RelayMessage, RelayStore } from './types';

/**
 * Waits for what the holder of a session's lease publishes, subscribed before `meanwhile` runs:
 * a check made after subscribing (the cache, the lease come free) cannot miss a message published
 * between the check and the wait. `meanwhile`'s answer, when it has one, ends the wait early;
 * otherwise the message, or `undefined` once `timeoutMs` passed (the lease expired) or `signal`
 * aborted.
 */
export async function waitForPublished<T>(
  store: RelayStore,
  sessionId: string,
  options: {
    timeoutMs: number;
    signal: AbortSignal;
    meanwhile: () => Promise<T | undefined>;
  },
): Promise<{ early: T } | { message: RelayMessage | undefined }> {
  let settle: (message: RelayMessage | undefined) => void = () => {};
  const published = new Promise<RelayMessage | undefined>((resolve) => {
    settle = resolve;
  });
  const unsubscribe = await store.subscribe(sessionId, (message) => settle(message));
  const timer = setTimeout(() => settle(undefined), options.timeoutMs);
  options.signal.addEventListener('abort', () => settle(undefined), { once: true });
  if (options.signal.aborted) settle(undefined);
  try {
    const early = await options.meanwhile();
    if (early !== undefined) return { early };
    return { message: await published };
  } finally {
    clearTimeout(timer);
    await unsubscribe();
  }
}
