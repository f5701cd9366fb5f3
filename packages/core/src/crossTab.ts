import type { QueryCacheNotifyEvent, QueryClient, QueryState } from '@tanstack/query-core';
import { isBrowser } from './environment';
import { UnreadError, type UnreadErrorCode } from './errors';

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

/** What one tab offers for cross-tab work; `browserCrossTab()` in a page. */
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
  if (!isBrowser() || typeof globalThis.BroadcastChannel !== 'function') return undefined;
  const Channel = globalThis.BroadcastChannel;
  const locks = (globalThis.navigator as { locks?: LockManagerLike | null } | undefined)?.locks;
  const doc = document;
  return {
    locks: typeof locks?.request === 'function' ? locks : undefined,
    openChannel: (name) => new Channel(name) as unknown as ChannelLike,
    isVisible: () => doc.visibilityState !== 'hidden',
    onVisibilityChange(listener) {
      doc.addEventListener('visibilitychange', listener);
      return () => doc.removeEventListener('visibilitychange', listener);
    },
    random: Math.random,
  };
}

/** A count or an error as it crosses tabs: plain data, since an `Error` subclass does not clone. */
interface SharedState {
  status: 'success' | 'error';
  data: number | undefined;
  dataUpdatedAt: number;
  errorUpdatedAt: number;
  error?: { code: UnreadErrorCode; message: string; status?: number; retryAfterMs?: number };
}

type Message =
  | { type: 'hello' | 'invalidate' | 'bye'; from: string }
  | { type: 'leader'; from: string; visible: boolean }
  | { type: 'state'; from: string; state: SharedState };

interface Group {
  readonly listeners: Set<() => void>;
  isLeader(): boolean;
  close(): void;
}

const groups = new WeakMap<QueryClient, Map<string, Group>>();

/**
 * Joins the tabs that watch `queryKey`, one group per query client and key in a tab. Returns
 * `undefined` where there are no other tabs to talk to (Node, no `BroadcastChannel`).
 */
export function joinCrossTab(
  client: QueryClient,
  queryKey: readonly unknown[],
  queryHash: string,
  pollIntervalMs: number,
  onChange: () => void,
  environment: CrossTabEnvironment | undefined = browserCrossTab(),
): CrossTabLink | undefined {
  if (!environment) return undefined;
  let byHash = groups.get(client);
  if (!byHash) {
    byHash = new Map();
    groups.set(client, byHash);
  }
  let group = byHash.get(queryHash);
  if (!group) {
    const registry = byHash;
    try {
      group = createGroup(client, queryKey, queryHash, pollIntervalMs, environment, () =>
        registry.delete(queryHash),
      );
    } catch {
      // No channel in this context (an opaque origin): this tab polls for itself.
      return undefined;
    }
    byHash.set(queryHash, group);
  }
  const joined = group;
  joined.listeners.add(onChange);
  let left = false;
  return {
    isLeader: () => !left && joined.isLeader(),
    leave() {
      if (left) return;
      left = true;
      joined.listeners.delete(onChange);
      if (joined.listeners.size === 0) joined.close();
    },
  };
}

function createGroup(
  client: QueryClient,
  queryKey: readonly unknown[],
  queryHash: string,
  intervalMs: number,
  env: CrossTabEnvironment,
  onClose: () => void,
): Group {
  const name = `crisp-unread:${queryHash}`;
  const id = env.random().toString(36).slice(2).padEnd(12, '0');
  const cache = client.getQueryCache();
  const channel = env.openChannel(name);
  const listeners = new Set<() => void>();
  // Claims and steals wait a random moment, so that several candidate tabs rarely all move at once.
  const quickMs = Math.min(100, intervalMs / 4);
  let leader = false;
  let leaderVisible = true;
  let closed = false;
  let applying = false;
  let lastSent = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt: { controller: AbortController; release: () => void } | undefined;

  const post = (message: Message) => {
    if (!closed) channel.postMessage(message);
  };
  const schedule = (ms: number, task: () => void) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (!closed) task();
    }, ms);
  };
  const announce = () => post({ type: 'leader', from: id, visible: env.isVisible() });
  const sendState = (state: QueryState<number, UnreadError> | undefined, force = false) => {
    const shared = state && share(state);
    if (!shared) return;
    const signature = `${shared.status}|${shared.dataUpdatedAt}|${shared.errorUpdatedAt}`;
    if (signature === lastSent && !force) return;
    lastSent = signature;
    post({ type: 'state', from: id, state: shared });
  };
  const setLeader = (value: boolean) => {
    if (leader === value) return;
    leader = value;
    if (value) {
      clearTimeout(timer);
      announce();
      if (!env.locks) schedule(intervalMs / 2, heartbeat);
    }
    for (const listener of [...listeners]) listener();
  };
  const heartbeat = () => {
    announce();
    schedule(intervalMs / 2, heartbeat);
  };

  // Web Locks: the holder of the lock polls; the others queue for it. A steal hands it over.
  const acquire = (steal: boolean) => {
    const locks = env.locks!;
    const previous = attempt;
    const controller = new AbortController();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const current = { controller, release };
    let granted = false;
    attempt = current;
    previous?.controller.abort();
    previous?.release();
    locks
      .request(name, steal ? { steal: true } : { signal: controller.signal }, () => {
        if (attempt !== current) return undefined;
        granted = true;
        setLeader(true);
        return held;
      })
      .catch(() => undefined)
      .then(() => {
        if (attempt !== current || closed) return;
        release();
        // Stolen: queue again as a follower. Refused outright (a sandboxed frame): poll alone.
        if (!granted) return setLeader(true);
        setLeader(false);
        acquire(false);
      });
  };

  const better = (other: { from: string; visible: boolean }) =>
    other.visible !== env.isVisible() ? other.visible : other.from < id;
  const claimSoon = () => {
    if (env.locks) {
      schedule(env.random() * quickMs, () => {
        if (!leader && !leaderVisible && env.isVisible()) acquire(true);
      });
    } else schedule(env.random() * quickMs, () => setLeader(true));
  };
  // Heartbeat fallback: a follower that hears no leader for 1.5 intervals claims the lead.
  const follow = () => {
    if (!env.locks) schedule(intervalMs * 1.5, () => setLeader(true));
  };

  const apply = (remote: SharedState) => {
    const query = cache.get<number, UnreadError>(queryHash);
    if (!query) return;
    const local = query.state;
    applying = true;
    try {
      if (remote.status === 'success') {
        const localAt = Math.max(
          local.dataUpdatedAt,
          local.status === 'error' ? local.errorUpdatedAt : 0,
        );
        if (remote.data !== undefined && remote.dataUpdatedAt > localAt) {
          client.setQueryData(queryKey, remote.data, { updatedAt: remote.dataUpdatedAt });
        }
      } else if (
        remote.error &&
        remote.errorUpdatedAt > local.errorUpdatedAt &&
        remote.errorUpdatedAt > local.dataUpdatedAt
      ) {
        const { code, message, status, retryAfterMs } = remote.error;
        const error = new UnreadError(code, message, { status, retryAfterMs });
        const newer = remote.data !== undefined && remote.dataUpdatedAt > local.dataUpdatedAt;
        query.setState({
          ...local,
          ...(newer
            ? {
                data: remote.data,
                dataUpdatedAt: remote.dataUpdatedAt,
                dataUpdateCount: local.dataUpdateCount + 1,
              }
            : {}),
          status: 'error',
          error,
          errorUpdatedAt: remote.errorUpdatedAt,
          errorUpdateCount: local.errorUpdateCount + 1,
          fetchFailureCount: local.fetchFailureCount + 1,
          fetchFailureReason: error,
        });
      }
    } finally {
      applying = false;
    }
  };

  channel.onmessage = ({ data }) => {
    const message = parseMessage(data);
    if (!message || message.from === id || closed) return;
    switch (message.type) {
      case 'hello':
        if (leader) {
          announce();
          sendState(cache.get<number, UnreadError>(queryHash)?.state, true);
        }
        break;
      case 'state':
        apply(message.state);
        break;
      case 'invalidate':
        if (leader) {
          applying = true;
          try {
            void client.invalidateQueries({ queryKey, exact: true });
          } finally {
            applying = false;
          }
        }
        break;
      case 'bye':
        if (!leader && !env.locks) claimSoon();
        break;
      case 'leader':
        if (leader) {
          if (env.locks) break;
          if (!better(message)) {
            announce();
            break;
          }
          setLeader(false);
        }
        leaderVisible = message.visible;
        if (!leaderVisible && env.isVisible()) claimSoon();
        else follow();
        break;
    }
  };

  const onCacheEvent = (event: QueryCacheNotifyEvent) => {
    if (event.query.queryHash !== queryHash || applying) return;
    // The app cleared the entry: ask for the state again rather than wait a whole interval.
    if (event.type === 'removed') post({ type: 'hello', from: id });
    if (event.type !== 'updated') return;
    const type = event.action.type;
    if (type === 'invalidate') post({ type: 'invalidate', from: id });
    else if (type === 'success' || type === 'error' || type === 'setState') {
      sendState(event.query.state as QueryState<number, UnreadError>);
    }
  };
  const unsubscribeCache = cache.subscribe(onCacheEvent);
  const unsubscribeVisibility = env.onVisibilityChange(() => {
    if (leader) announce();
    else if (env.isVisible() && !leaderVisible) claimSoon();
  });

  post({ type: 'hello', from: id });
  if (env.locks) acquire(false);
  else schedule(quickMs, () => setLeader(true));

  return {
    listeners,
    isLeader: () => leader,
    close() {
      if (closed) return;
      if (leader && !env.locks) post({ type: 'bye', from: id });
      closed = true;
      clearTimeout(timer);
      const current = attempt;
      attempt = undefined;
      current?.controller.abort();
      current?.release();
      unsubscribeCache();
      unsubscribeVisibility();
      channel.onmessage = null;
      channel.close();
      onClose();
    },
  };
}

function share(state: QueryState<number, UnreadError>): SharedState | undefined {
  if (state.status === 'pending') return undefined;
  const shared: SharedState = {
    status: state.status,
    data: state.data,
    dataUpdatedAt: state.dataUpdatedAt,
    errorUpdatedAt: state.errorUpdatedAt,
  };
  if (state.status === 'error' && state.error) {
    const { code, message, status, retryAfterMs } = state.error;
    shared.error = { code, message, status, retryAfterMs };
  }
  return shared;
}

/** Messages come from other tabs, maybe another version of the library: trust only their shape. */
function parseMessage(data: unknown): Message | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const message = data as Partial<Message> & { state?: Partial<SharedState> };
  if (typeof message.from !== 'string') return undefined;
  switch (message.type) {
    case 'hello':
    case 'invalidate':
    case 'bye':
      return message as Message;
    case 'leader':
      return typeof message.visible === 'boolean' ? (message as Message) : undefined;
    case 'state': {
      const state = message.state;
      if (
        typeof state !== 'object' ||
        state === null ||
        (state.status !== 'success' && state.status !== 'error') ||
        typeof state.dataUpdatedAt !== 'number' ||
        typeof state.errorUpdatedAt !== 'number' ||
        !(state.data === undefined || (Number.isInteger(state.data) && state.data >= 0)) ||
        (state.status === 'error' &&
          (typeof state.error?.code !== 'string' || typeof state.error.message !== 'string'))
      ) {
        return undefined;
      }
      return message as Message;
    }
    default:
      return undefined;
  }
}
