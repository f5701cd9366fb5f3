import { createUnreadRelay } from './createUnreadRelay';
import { errorBody } from './responses';
import type { UnreadRelay, UnreadRelayOptions } from './types';

/**
 * Cloudflare Workers. A Worker's isolate refuses to touch one request's stream from another
 * request ("Cannot perform I/O on behalf of a different request"), so a web hook could never
 * reach a stream and a closed stream would never be released. A Durable Object can: all of its
 * requests share it. So one Durable Object holds the website's relay (cache, budget, streams,
 * limits) and the Worker forwards every request to it. No `cloudflare:workers` import: this
 * module loads anywhere, and the classes are plain ones that workerd accepts as they are.
 */

/** The parts of a Durable Object namespace binding the Worker uses. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: never): { fetch(request: Request): Promise<Response> };
}

/** The header Cloudflare's edge sets to the visitor's address, replacing any the client sent. */
export const clientAddressHeader = 'CF-Connecting-IP';

/** Options of `unreadRelayWorker`. */
export interface UnreadRelayWorkerOptions<Env> {
  /** The name of the Durable Object binding (`durable_objects.bindings[].name`). */
  binding: {
    [K in keyof Env]: Env[K] extends DurableObjectNamespaceLike ? K : never;
  }[keyof Env] &
    string;
  /** The Durable Object's name: one per relay (one website). Defaults to `'crisp-unread'`. */
  name?: string | undefined;
}

/** What `unreadRelayObject` returns: a Durable Object class to export under its `class_name`. */
export type UnreadRelayObjectClass<Env> = new (
  state: unknown,
  env: Env,
) => {
  fetch(request: Request): Promise<Response>;
};

/**
 * The Durable Object class that holds the relay. `options` runs on the object's first request,
 * with the Worker's `env` (so secrets come from `wrangler secret`); a missing credential answers
 * 500 `misconfigured`, as `createUnreadRelay(() => options)` does. The visitor is the
 * `CF-Connecting-IP` header of the request the Worker forwarded: only the Worker reaches the
 * object, and on Cloudflare that header is the edge's.
 */
export function unreadRelayObject<Env>(
  options: (env: Env) => UnreadRelayOptions,
): UnreadRelayObjectClass<Env> {
  return class UnreadRelayObject {
    readonly #relay: UnreadRelay;

    constructor(_state: unknown, env: Env) {
      this.#relay = createUnreadRelay(() => options(env));
    }

    fetch(request: Request): Promise<Response> {
      return this.#relay.fetch(request, {
        clientAddress: request.headers.get(clientAddressHeader),
      });
    }
  };
}

/**
 * The Worker's handler (`export default unreadRelayWorker(…)`): forwards every request, streams
 * and web hooks included, to the relay's one Durable Object.
 */
export function unreadRelayWorker<Env>(options: UnreadRelayWorkerOptions<Env>): {
  fetch(request: Request, env: Env): Promise<Response>;
} {
  const name = options.name ?? 'crisp-unread';
  return {
    fetch(request, env) {
      const namespace = env[options.binding] as DurableObjectNamespaceLike | undefined;
      if (typeof namespace?.idFromName !== 'function') {
        return Promise.resolve(
          errorBody(500, 'misconfigured', `The Durable Object binding is missing.`, {
            option: options.binding,
          }),
        );
      }
      return namespace.get(namespace.idFromName(name) as never).fetch(request);
    },
  };
}
