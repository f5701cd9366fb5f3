import type { QueryClient, QueryState } from '@tanstack/query-core';
import { mapFor } from './defaultQueryClient';
import { isBrowser } from './environment';
import { UnreadError, type UnreadErrorCode } from './errors';
import { toReading } from './reading';
import type { UnreadReading } from './types';

/** The part of `navigator.locks` the leader election uses. */
export interface LockManagerLike {
  request(
    name: string,
    options: { signal?: AbortSignal; steal?: boolean },
    callback: (lock: unknown) => Promise<void> | undefined,
  ): Promise<unknown>;
}

/** The part of a `BroadcastChannel` the tabs talk through. */
export interface ChannelLike {
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

/** What one tab offers for cross-tab work; `browserCrossTab()` in a page. Its functions are called unbound. */
export interface CrossTabEnvironment {
  /** Web Locks, or `undefined` for the heartbeat fallback. */
  readonly locks: LockManagerLike | undefined;
  openChannel(name: string): ChannelLike;
  isVisible(): boolean;
  onVisibilityChange(listener: () => void): () => void;
  random(): number;
}

/** One store's membership in the tabs' group for one query key. */
export interface CrossTabLink {
  /** True while this tab is the one that polls. */
  isLeader(): boolean;
  leave(): void;
}

/** The page's tab environment, or `undefined` outside browsers and without `BroadcastChannel`. */
export function browserCrossTab(): CrossTabEnvironment | undefined {
  const Channel = globalThis.BroadcastChannel;
  if (!isBrowser() || !Channel) return;
  const doc = document;
  const event = 'visibilitychange';
  return {
    locks: (navigator as { locks?: LockManagerLike }).locks,
    openChannel: (name) => new Channel(name) as unknown as ChannelLike,
    isVisible: () => doc.visibilityState !== 'hidden',
    onVisibilityChange(listener) {
      doc.addEventListener(event, listener);
      return () => doc.removeEventListener(event, listener);
    },
    random: Math.random,
  };
}

/**
 * A read as it crosses tabs: plain data, since an `Error` subclass does not clone. `error` is
 * there while the query is failed, as the `UnreadError`'s own fields and its message.
 */
interface SharedState {
  data?: number | undefined;
  dataUpdatedAt: number;
  errorUpdatedAt: number;
  error?:
    | {
        code: UnreadErrorCode;
        message: string;
        status?: number | undefined;
        retryAfterMs?: number | undefined;
      }
    | null
    | undefined;
}

/**
 * What the tabs of one group tell each other, `from` the random id of the sending tab:
 * `h` hello (a tab opened or lost its entry: the leader answers with `l` and `s`),
 * `l` leader (the sender polls; `body` is whether its page is visible),
 * `s` state (`body` is the sender's last read),
 * `i` invalidate (a follower asks the leader to read now),
 * `b` bye (the leader closes, without Web Locks).
 */
type Message =
  | { type: 'h' | 'i' | 'b'; from: number; body?: undefined }
  | { type: 'l'; from: number; body: boolean }
  | { type: 's'; from: number; body: SharedState };

/** Joins a group: the link of one store. */
type Join = (onChange: () => void) => CrossTabLink;

const groups = /* @__PURE__ */ new WeakMap<QueryClient, Map<string, Join>>();

/** When a state last settled: its last read, or its failure while it is failed. */
const settledAt = (
  state: Pick<SharedState, 'dataUpdatedAt' | 'errorUpdatedAt'> & { error?: unknown },
) => Math.max(state.dataUpdatedAt, state.error ? state.errorUpdatedAt : 0);

/**
 * Joins the tabs that watch `queryKey`, one group per query client and key in a tab. Returns
 * `undefined` where there are no other tabs to talk to (Node, no `BroadcastChannel`, an opaque
 * origin: then this tab polls for itself).
 */
export function joinCrossTab(
  client: QueryClient,
  queryKey: readonly unknown[],
  queryHash: string,
  intervalMs: number,
  onChange: () => void,
  env: CrossTabEnvironment | undefined = browserCrossTab(),
): CrossTabLink | undefined {
  if (!env) return;
  const registry = mapFor(groups, client);
  let join = registry.get(queryHash);
  if (!join) {
    // The protocol's version is in the name (the lock's too): after a deploy, tabs still on another
    // version form their own group and keep their own count right, instead of following a leader
    // whose messages they cannot read.
    const name = `crisp-unread:2:${queryHash}`;
    let channel: ChannelLike;
    try {
      channel = env.openChannel(name);
    } catch {
      return; // No channel in this context (an opaque origin).
    }
    const { locks, isVisible, random } = env;
    const id = random();
    const cache = client.getQueryCache();
    const current = () => cache.get<UnreadReading | number, UnreadError>(queryHash);
    const listeners = new Set<() => void>();
    // Claims and steals wait a random moment, so that several candidate tabs rarely all move at once.
    const quickMs = Math.min(100, intervalMs / 4);
    let leader = false;
    let leaderVisible = true;
    let applying = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    /** The current lock request: aborting it cancels it while queued and releases the lock while held. */
    let attempt: AbortController | undefined;

    const post = (type: Message['type'], body?: Message['body']) =>
      channel.postMessage({ type, from: id, body });
    const announce = () => post('l', isVisible());
    const sendState = (state: QueryState<UnreadReading | number, UnreadError> | undefined) => {
      const error = state?.error;
      if (state) {
        const reading = toReading(state.data);
        post('s', {
          data: reading?.count,
          stale: reading?.stale,
          dataUpdatedAt: state.dataUpdatedAt,
          errorUpdatedAt: state.errorUpdatedAt,
          error: error && { ...error, message: error.message },
        });
      }
    };
    const schedule = (ms: number, task: () => void) => {
      clearTimeout(timer);
      timer = setTimeout(task, ms);
    };
    // The leader announces itself; without Web Locks it goes on doing so every half interval.
    const heartbeat = () => {
      announce();
      if (!locks) schedule(intervalMs / 2, heartbeat);
    };
    const setLeader = (value: boolean) => {
      if (leader !== value) {
        leader = value;
        if (value) heartbeat();
        for (const listener of listeners) listener();
      }
    };

    // Web Locks: the holder of the lock polls; the others queue for it. A steal hands it over.
    const acquire = (steal?: boolean) => {
      attempt?.abort();
      attempt = new AbortController();
      const { signal } = attempt;
      const settled = () => {
        if (signal.aborted) return;
        // Stolen: queue again as a follower. Refused outright (a sandboxed frame): poll alone.
        if (leader) acquire();
        setLeader(!leader);
      };
      locks!
        .request(name, steal ? { steal } : { signal }, () => {
          if (signal.aborted) return;
          // Held until the attempt is aborted (set up first: a listener of the new leader may leave).
          return new Promise((resolve) => {
            signal.onabort = resolve as () => void;
            setLeader(true);
          });
        })
        .then(settled, settled);
    };

    // A visible tab takes the lead from a hidden leader; without Web Locks, also from one that left.
    const claim = () =>
      locks ? !leader && !leaderVisible && isVisible() && acquire(true) : setLeader(true);
    const claimSoon = () => schedule(random() * quickMs, claim);

    // Messages come from other tabs, maybe another version of the library: trust only their shape.
    // What this tab writes into its cache while it handles a message is not told back to the others.
    channel.onmessage = ({ data }) => {
      const { type, from, body } = (data || {}) as Message;
      applying = true;
      try {
        if (type === 'h') {
          if (leader) {
            announce();
            sendState(current()?.state);
          }
        } else if (type === 'i') {
          if (leader) void client.invalidateQueries({ queryKey, exact: true });
        } else if (type === 'b') {
          if (!leader && !locks) claimSoon();
        } else if (type === 's') {
          const {
            data: count,
            stale,
            dataUpdatedAt,
            errorUpdatedAt,
            error,
          } = body || ({} as SharedState);
          const reading = count === undefined ? undefined : { count, stale: stale === true };
          const query = current();
          const local = query?.state;
          if (
            local &&
            typeof dataUpdatedAt === 'number' &&
            typeof errorUpdatedAt === 'number' &&
            // A count: a whole number from 0, or none yet.
            (count === undefined || count >>> 0 === count) &&
            (!error || (typeof error.code === 'string' && typeof error.message === 'string')) &&
            // A newer read than this tab's: a count, or a failure (with the count from before it).
            settledAt(body) > settledAt(local)
          ) {
            if (!error) client.setQueryData(queryKey, reading, { updatedAt: dataUpdatedAt });
            else {
              const failure = new UnreadError(error.code, error.message, error);
              query.setState({
                ...local,
                ...(dataUpdatedAt > local.dataUpdatedAt && {
                  data: reading,
                  dataUpdatedAt,
                  dataUpdateCount: local.dataUpdateCount + 1,
                }),
                status: 'error',
                error: failure,
                errorUpdatedAt,
                errorUpdateCount: local.errorUpdateCount + 1,
                fetchFailureCount: local.fetchFailureCount + 1,
                fetchFailureReason: failure,
              });
            }
          }
        } else if (type === 'l' && body === !!body && typeof from === 'number') {
          if (leader) {
            if (locks) return;
            // Two leaders without Web Locks: the visible one stays, else the one with the smaller id.
            if (body !== isVisible() ? !body : from > id) return announce();
          }
          leaderVisible = body;
          if (!body && isVisible()) claimSoon();
          // Without Web Locks, a follower that hears no leader for 1.5 intervals claims the lead.
          else if (!locks) schedule(intervalMs * 1.5, claim);
          setLeader(false); // last: a listener may leave
        }
      } finally {
        applying = false;
      }
    };

    const stopCache = cache.subscribe((event) => {
      if (event.query.queryHash !== queryHash || applying) return;
      // The app cleared the entry: ask for the state again rather than wait a whole interval.
      if (event.type === 'removed') post('h');
      if (event.type !== 'updated') return;
      const type = event.action.type;
      if (type === 'invalidate') post('i');
      else if (type === 'success' || type === 'error' || type === 'setState') {
        sendState(event.query.state);
      }
    });
    const stopVisibility = env.onVisibilityChange(() => {
      if (leader) announce();
      else if (isVisible() && !leaderVisible) claimSoon();
    });

    post('h');
    if (locks) acquire();
    else schedule(quickMs, claim);

    join = (onChange) => {
      listeners.add(onChange);
      return {
        isLeader: () => leader && listeners.has(onChange),
        leave() {
          if (!listeners.delete(onChange) || listeners.size) return;
          if (leader && !locks) post('b');
          attempt?.abort();
          clearTimeout(timer);
          stopCache();
          stopVisibility();
          channel.onmessage = null;
          channel.close();
          registry.delete(queryHash);
        },
      };
    };
    registry.set(queryHash, join);
  }
  return join(onChange);
}
