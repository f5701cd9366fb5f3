import type { QueryClient, QueryState } from '@tanstack/query-core';
import {
  BehaviorSubject,
  defer,
  distinctUntilChanged,
  Observable,
  of,
  ReplaySubject,
  share,
} from 'rxjs';
import { mapFor } from './defaultQueryClient';
import { UnreadError, type UnreadErrorCode } from './errors';
import { toReading } from './reading';
import { browserCrossTab, type ChannelLike, type CrossTabEnvironment } from './tabEnvironment';
import type { UnreadReading } from './types';

export {
  browserCrossTab,
  type ChannelLike,
  type CrossTabEnvironment,
  type LockManagerLike,
} from './tabEnvironment';

/**
 * A read as it crosses tabs: plain data, since an `Error` subclass does not clone. `error` is
 * there while the query is failed, as the `UnreadError`'s own fields and its message.
 */
interface SharedState {
  data?: UnreadReading | undefined;
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
 * `hello`: a tab opened or lost its entry (the leader answers with `leader` and `state`);
 * `leader`: the sender polls, and says whether its page is `visible`;
 * `state`: the sender's last read;
 * `invalidate`: a follower asks the leader to read now;
 * `fetching`: the leader started a read (its next `state` ends it), so that the followers of a
 * failing session show its retries as it does (`UnreadState.fetching`); older tabs ignore it;
 * `bye`: the leader closes (without Web Locks, where no lock tells the others).
 */
type Message =
  | { type: 'hello' | 'invalidate' | 'fetching' | 'bye'; from: number }
  | { type: 'leader'; from: number; visible: boolean }
  | { type: 'state'; from: number; state: SharedState };

type CountState = QueryState<unknown, UnreadError>;

// The protocol's version is in the channel's and the lock's name: after a deploy, tabs still on
// another version form their own group and keep their own count right, instead of following a
// leader whose messages they cannot read.
const protocol = 'crisp-unread:3:';

const groups = /* @__PURE__ */ new WeakMap<QueryClient, Map<string, Observable<boolean>>>();
const leaderReads = /* @__PURE__ */ new WeakMap<
  QueryClient,
  Map<string, BehaviorSubject<boolean>>
>();

const leaderRead = (client: QueryClient, queryHash: string) => {
  const registry = mapFor(leaderReads, client);
  let read = registry.get(queryHash);
  if (!read) {
    read = new BehaviorSubject(false);
    registry.set(queryHash, read);
  }
  return read;
};

/** Whether another tab, leading the group of `queryHash`, has a read in flight. */
export const leaderFetching$ = (client: QueryClient, queryHash: string): Observable<boolean> =>
  defer(() => leaderRead(client, queryHash)).pipe(distinctUntilChanged());

/** When a state last settled: its last read, or its failure while it is failed. */
const settledAt = (state: Pick<SharedState, 'dataUpdatedAt' | 'errorUpdatedAt' | 'error'>) =>
  Math.max(state.dataUpdatedAt, state.error ? state.errorUpdatedAt : 0);

/**
 * Whether this tab leads the tabs that watch `queryKey` (one group per query client and key in a
 * tab): the leader polls and tells the others every read. Always `true` where there are no other
 * tabs to talk to (Node, no `BroadcastChannel`, an opaque origin).
 */
export function crossTabLeader$(
  client: QueryClient,
  queryKey: readonly unknown[],
  queryHash: string,
  intervalMs: number,
  env: CrossTabEnvironment | undefined = browserCrossTab(),
): Observable<boolean> {
  if (!env) return of(true);
  const registry = mapFor(groups, client);
  let group = registry.get(queryHash);
  if (!group) {
    group = joinGroup(client, queryKey, queryHash, intervalMs, env).pipe(
      // The stores of one page share the group, and a store joining late learns the lead at once.
      share({ connector: () => new ReplaySubject<boolean>(1), resetOnRefCountZero: true }),
    );
    registry.set(queryHash, group);
  }
  return group;
}

function joinGroup(
  client: QueryClient,
  queryKey: readonly unknown[],
  queryHash: string,
  intervalMs: number,
  env: CrossTabEnvironment,
): Observable<boolean> {
  return new Observable<boolean>((subscriber) => {
    const registry = mapFor(groups, client);
    const name = protocol + queryHash;
    let channel: ChannelLike;
    try {
      channel = env.openChannel(name);
    } catch {
      // No channel in this context (an opaque origin): this tab polls for itself.
      subscriber.next(true);
      return;
    }
    const { locks, isVisible, random } = env;
    const id = random();
    const cache = client.getQueryCache();
    const current = () => cache.find<unknown, UnreadError>({ queryKey, exact: true });
    // Claims and steals wait a random moment, so that several candidate tabs rarely all move at once.
    const quickMs = Math.min(100, intervalMs / 4);
    let leader = false;
    let leaderVisible = true;
    let applying = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    /** The current lock request: aborting it cancels it while queued and releases the lock while held. */
    let attempt: AbortController | undefined;

    const post = (message: Message) => channel.postMessage(message);
    const leaderReading = (reading: boolean) => leaderRead(client, queryHash).next(reading);
    const announce = () => post({ type: 'leader', from: id, visible: isVisible() });
    const sendState = (state: CountState | undefined) => {
      const error = state?.error;
      if (state) {
        post({
          type: 'state',
          from: id,
          state: {
            data: toReading(state.data),
            dataUpdatedAt: state.dataUpdatedAt,
            errorUpdatedAt: state.errorUpdatedAt,
            error: error && { ...error, message: error.message },
          },
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
        leaderReading(false);
        if (value) heartbeat();
        subscriber.next(value);
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
          // Held until the attempt is aborted (set up first: a store of the new leader may leave).
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

    /** Applies another tab's newer read through query-core's setters. */
    const applyState = (state: SharedState) => {
      const { dataUpdatedAt, errorUpdatedAt, error } = state;
      const query = current();
      const local = query?.state;
      const data = state.data === undefined ? undefined : toReading(state.data);
      if (
        !local ||
        typeof dataUpdatedAt !== 'number' ||
        typeof errorUpdatedAt !== 'number' ||
        (state.data !== undefined && !data) ||
        (error && (typeof error.code !== 'string' || typeof error.message !== 'string')) ||
        // A newer read than this tab's: a count, or a failure (with the count from before it).
        !(settledAt(state) > settledAt(local))
      )
        return;
      if (!error) client.setQueryData(queryKey, data, { updatedAt: dataUpdatedAt });
      else {
        const failure = new UnreadError(error.code, error.message, error);
        query.setState({
          ...(data && dataUpdatedAt > local.dataUpdatedAt && { data, dataUpdatedAt }),
          status: 'error',
          error: failure,
          errorUpdatedAt,
          fetchFailureReason: failure,
        });
      }
    };

    // Messages come from other tabs, maybe another version of the library: trust only their shape.
    // What this tab writes into its cache while it handles a message is not told back to the others.
    channel.onmessage = ({ data }) => {
      const message = (data || {}) as Partial<Message> & { visible?: unknown; state?: unknown };
      applying = true;
      try {
        if (message.type === 'hello') {
          if (leader) {
            announce();
            sendState(current()?.state);
          }
        } else if (message.type === 'invalidate') {
          if (leader) void client.invalidateQueries({ queryKey, exact: true });
        } else if (message.type === 'bye') {
          if (!leader && !locks) claimSoon();
        } else if (message.type === 'fetching') {
          if (!leader) leaderReading(true);
        } else if (message.type === 'state') {
          leaderReading(false);
          if (message.state && typeof message.state === 'object')
            applyState(message.state as SharedState);
        } else if (
          message.type === 'leader' &&
          typeof message.visible === 'boolean' &&
          typeof message.from === 'number'
        ) {
          const { visible, from } = message;
          if (leader) {
            if (locks) return;
            // Two leaders without Web Locks: the visible one stays, else the one with the smaller id.
            if (visible !== isVisible() ? !visible : from > id) return announce();
          }
          leaderVisible = visible;
          if (!visible && isVisible()) claimSoon();
          // Without Web Locks, a follower that hears no leader for 1.5 intervals claims the lead.
          else if (!locks) schedule(intervalMs * 1.5, claim);
          setLeader(false); // last: a store may leave
        }
      } finally {
        applying = false;
      }
    };

    const stopCache = cache.subscribe((event) => {
      if (event.query.queryHash !== queryHash || applying) return;
      // The app cleared the entry: ask for the state again rather than wait a whole interval.
      if (event.type === 'removed') post({ type: 'hello', from: id });
      if (event.type !== 'updated') return;
      const type = event.action.type;
      if (type === 'invalidate') post({ type: 'invalidate', from: id });
      else if (type === 'fetch' && leader) post({ type: 'fetching', from: id });
      else if (type === 'success' || type === 'error' || type === 'setState') {
        sendState(event.query.state);
      }
    });
    const stopVisibility = env.onVisibilityChange(() => {
      if (leader) announce();
      else if (isVisible() && !leaderVisible) claimSoon();
    });

    subscriber.next(false);
    post({ type: 'hello', from: id });
    if (locks) acquire();
    else schedule(quickMs, claim);

    return () => {
      if (leader && !locks) post({ type: 'bye', from: id });
      attempt?.abort();
      clearTimeout(timer);
      stopCache();
      stopVisibility();
      channel.onmessage = null;
      channel.close();
      registry.delete(queryHash);
      leaderReading(false);
      mapFor(leaderReads, client).delete(queryHash);
    };
  });
}
