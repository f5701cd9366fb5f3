import { isUnreadError } from '@crisp-unread/core';
import { errorBody } from './responses';
import type { UnreadRelay, UnreadRelayOptions } from './types';

/** Why the options could not be resolved: the option named (never its value) and the log line. */
interface Misconfiguration {
  readonly option: string | null;
  readonly line: string;
}

function misconfiguration(error: unknown): Misconfiguration {
  if (isUnreadError(error) && error.code === 'misconfigured') {
    // The relay's and core's option errors name the option first, in backticks, and never a secret.
    return { option: /`([\w.]+)`/.exec(error.message)?.[1] ?? null, line: error.message };
  }
  // Another error from the app's own function: its name only, as its message is not ours to vet.
  const name = error instanceof Error ? error.name : typeof error;
  return { option: null, line: `crisp-unread relay: the options function threw (${name}).` };
}

/**
 * The relay of `createUnreadRelay(() => options)`: the function runs on the first request, once,
 * so a module that builds the relay can be evaluated where no credential is set (a Next.js build).
 * A relay whose options fail answers every request 500 `misconfigured`, naming the option, and
 * logs the reason once.
 */
export function lazyRelay(
  resolve: () => UnreadRelayOptions,
  create: (options: UnreadRelayOptions) => UnreadRelay,
): UnreadRelay {
  let relay: UnreadRelay | undefined;
  let failure: Misconfiguration | undefined;
  let closed = false;

  const ready = (): UnreadRelay | Misconfiguration => {
    if (relay) return relay;
    if (failure) return failure;
    let options: UnreadRelayOptions | undefined;
    try {
      options = resolve();
      relay = create(options);
      return relay;
    } catch (error) {
      failure = misconfiguration(error);
      const log = options?.log;
      if (typeof log === 'function') log(failure.line);
      else if (log !== false) console.warn(failure.line);
      return failure;
    }
  };

  return {
    async fetch(request, env, executionContext) {
      if (closed && !relay) {
        return errorBody(503, 'relay-closed', 'The relay was closed before it started.');
      }
      const resolved = ready();
      if ('fetch' in resolved) return resolved.fetch(request, env, executionContext);
      const what = resolved.option ? `option \`${resolved.option}\` is` : 'options are';
      return errorBody(
        500,
        'misconfigured',
        `The relay's ${what} missing or invalid; its log says why.`,
        resolved.option ? { option: resolved.option } : {},
      );
    },
    stats: () => relay?.stats() ?? { upstreamCalls: 0, streams: 0, watchedSessions: 0 },
    close() {
      closed = true;
      return relay?.close() ?? Promise.resolve();
    },
  };
}
