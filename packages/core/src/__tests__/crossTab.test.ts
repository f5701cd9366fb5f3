import { focusManager, QueryClient } from '@tanstack/query-core';
import { Observable, type Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUnreadStore } from '../createUnreadStore';
import { browserCrossTab, type LockManagerLike } from '../crossTab';
import { isUnreadError, UnreadError } from '../errors';
import type { UnreadSource, UnreadState, UnreadStore, UnreadStoreOptions } from '../types';
import { sessionA } from './sources';

const interval = 10_000;
const abortError = () => new DOMException('The lock request was aborted.', 'AbortError');

interface LockRequest {
  callback: (lock: unknown) => Promise<void> | undefined;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Exclusive Web Locks as one browser profile has them: FIFO queue, abort while queued, steal. */
class FakeLocks implements LockManagerLike {
  readonly holders = new Map<string, LockRequest>();
  readonly queues = new Map<string, LockRequest[]>();

  request(
    name: string,
    options: { signal?: AbortSignal; steal?: boolean },
    callback: LockRequest['callback'],
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const request: LockRequest = { callback, resolve, reject };
      if (options.steal) {
        const holder = this.holders.get(name);
        this.holders.delete(name);
        holder?.reject(abortError());
        this.grant(name, request);
        return;
      }
      if (options.signal?.aborted) return reject(abortError());
      const queue = this.queues.get(name) ?? [];
      this.queues.set(name, queue);
      queue.push(request);
      options.signal?.addEventListener('abort', () => {
        const at = queue.indexOf(request);
        if (at < 0) return;
        queue.splice(at, 1);
        reject(abortError());
      });
      this.pump(name);
    });
  }

  /** Locks held plus requests waiting. */
  get size(): number {
    return this.holders.size + [...this.queues.values()].reduce((sum, q) => sum + q.length, 0);
  }

  private pump(name: string) {
    if (this.holders.has(name)) return;
    const next = this.queues.get(name)?.shift();
    if (next) this.grant(name, next);
  }

  private grant(name: string, request: LockRequest) {
    this.holders.set(name, request);
    queueMicrotask(async () => {
      let result: unknown;
      try {
        result = await request.callback({ name });
      } catch {}
      if (this.holders.get(name) !== request) return;
      this.holders.delete(name);
      request.resolve(result);
      this.pump(name);
    });
  }
}

/** BroadcastChannel within one process, delivering structured clones a microtask later. */
class FakeChannel {
  static readonly open = new Set<FakeChannel>();
  /** Tabs whose messages are lost, as when a tab is killed. */
  static readonly mute = new Set<string>();
  tab = '';
  onmessage: ((event: { data: unknown }) => void) | null = null;
  private closed = false;

  constructor(readonly name: string) {
    FakeChannel.open.add(this);
  }

  postMessage(message: unknown) {
    if (this.closed) throw new DOMException('The channel is closed.', 'InvalidStateError');
    if (FakeChannel.mute.has(this.tab)) return;
    const data = structuredClone(message);
    for (const other of FakeChannel.open) {
      if (other === this || other.name !== this.name) continue;
      queueMicrotask(() => {
        if (!other.closed) other.onmessage?.({ data: structuredClone(data) });
      });
    }
  }

  close() {
    this.closed = true;
    FakeChannel.open.delete(this);
  }
}

class FakeDocument extends EventTarget {
  visibilityState: 'visible' | 'hidden' = 'visible';
  setVisible(visible: boolean) {
    this.visibilityState = visible ? 'visible' : 'hidden';
    this.dispatchEvent(new Event('visibilitychange'));
  }
}

/** One conversation read by every tab: each tab has its own source object with the same scope. */
function conversation(...answers: (number | UnreadError)[]) {
  const reads: string[] = [];
  const sourceFor = (tab: string): UnreadSource => ({
    kind: 'scripted',
    scope: 'tabs-test',
    async read() {
      reads.push(tab);
      const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
      if (answer instanceof UnreadError) throw answer;
      return answer;
    },
  });
  return { reads, sourceFor };
}

interface Tab {
  readonly name: string;
  readonly store: UnreadStore;
  readonly document: FakeDocument;
  readonly client: QueryClient;
  state(): UnreadState;
  close(): void;
}

let locks: FakeLocks | undefined;
let tabs: Tab[] = [];
const subscriptions: Subscription[] = [];
let opened = 0;

/** A tab: its own document, QueryClient and store, in a page whose globals the store sees. */
function openTab(
  source: ReturnType<typeof conversation>,
  options: Partial<UnreadStoreOptions> = {},
): Tab {
  const name = `tab${++opened}`;
  const document = new FakeDocument();
  vi.stubGlobal('window', {});
  vi.stubGlobal('document', document);
  vi.stubGlobal('navigator', { locks });
  vi.stubGlobal(
    'BroadcastChannel',
    class extends FakeChannel {
      override tab = name;
    },
  );
  const client = new QueryClient();
  const store = createUnreadStore({
    source: source.sourceFor(name),
    sessionId: sessionA,
    queryClient: client,
    pollIntervalMs: interval,
    graceMs: 0,
    ...options,
  });
  const subscription = store.state$.subscribe();
  subscriptions.push(subscription);
  const tab: Tab = {
    name,
    store,
    document,
    client,
    state: () => store.getSnapshot(),
    close() {
      subscription.unsubscribe();
      store.dispose();
      client.clear();
      tabs = tabs.filter((other) => other !== tab);
    },
  };
  tabs.push(tab);
  return tab;
}

const settle = () => vi.advanceTimersByTimeAsync(0);
const shown = (tab: Tab) => {
  const { count, status, error, updatedAt } = tab.state();
  return { count, status, code: error?.code ?? null, updatedAt };
};

beforeEach(() => {
  vi.useFakeTimers();
  // The stores' own pause is per page; here only crossTab's view of each tab's visibility differs.
  focusManager.setFocused(true);
  locks = new FakeLocks();
  opened = 0;
  FakeChannel.mute.clear();
});

afterEach(() => {
  for (const tab of [...tabs]) tab.close();
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
  tabs = [];
  focusManager.setFocused(undefined);
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe.each([
  ['Web Locks', true],
  ['the BroadcastChannel heartbeat', false],
])('crossTab with %s', (_, withLocks) => {
  beforeEach(() => {
    if (!withLocks) locks = undefined;
  });
  /** How long a vanished leader goes unnoticed: not at all with locks, 1.5 intervals without. */
  const takeover = withLocks ? 0 : interval * 1.5;

  it('makes one read per interval in total for 5 tabs, and every tab shows its count', async () => {
    const source = conversation(3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13);
    for (let i = 0; i < 5; i++) openTab(source);
    await vi.advanceTimersByTimeAsync(200);
    expect(source.reads).toHaveLength(1);
    for (const tab of tabs) expect(shown(tab)).toEqual(shown(tabs[0]!));
    expect(tabs[0]!.state()).toMatchObject({ count: 3, status: 'ready' });

    await vi.advanceTimersByTimeAsync(interval * 10);
    expect(source.reads).toHaveLength(11);
    expect(new Set(source.reads).size).toBe(1);
    for (const tab of tabs) expect(shown(tab)).toEqual({ ...shown(tabs[0]!), count: 13 });
  });

  it('goes on polling from another tab within one interval when the leader closes', async () => {
    const source = conversation(1, 2, 3, 4);
    for (let i = 0; i < 3; i++) openTab(source);
    await vi.advanceTimersByTimeAsync(interval * 2 + 200);
    expect(source.reads).toHaveLength(3);
    const leader = tabs.find((tab) => tab.name === source.reads[0])!;
    leader.close();

    await vi.advanceTimersByTimeAsync(interval);
    expect(source.reads).toHaveLength(4);
    const next = source.reads.at(-1)!;
    expect(next).not.toBe(leader.name);
    for (const tab of tabs) expect(tab.state()).toMatchObject({ count: 4, status: 'ready' });
    await vi.advanceTimersByTimeAsync(interval * 3);
    expect(source.reads.slice(3)).toEqual([next, next, next, next]);
  });

  it('takes over from a leader that vanished without a word', async () => {
    const source = conversation(1, 2, 3);
    for (let i = 0; i < 3; i++) openTab(source);
    await vi.advanceTimersByTimeAsync(interval + 200);
    expect(source.reads).toHaveLength(2);
    const leader = tabs.find((tab) => tab.name === source.reads[0])!;
    // A killed tab sends no goodbye; its locks go with it, its heartbeats just stop.
    FakeChannel.mute.add(leader.name);
    leader.close();
    await vi.advanceTimersByTimeAsync(takeover + interval);
    const after = source.reads.slice(2);
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(after.length).toBeLessThanOrEqual(2);
    expect(after).toEqual(after.map(() => after[0]));
    expect(after[0]).not.toBe(leader.name);
    for (const tab of tabs) expect(tab.state().count).toBe(3);
  });

  it("shows the leader's error and last good count in every tab", async () => {
    const failure = new UnreadError('server', 'The server failed.', { status: 503 });
    const source = conversation(2, failure);
    for (let i = 0; i < 3; i++) openTab(source, { retry: false });
    await vi.advanceTimersByTimeAsync(interval + 200);
    expect(source.reads).toHaveLength(2);
    for (const tab of tabs) {
      expect(tab.state()).toMatchObject({ count: 2, status: 'error' });
      expect(isUnreadError(tab.state().error)).toBe(true);
      expect(tab.state().error).toMatchObject({ code: 'server', status: 503 });
      expect(shown(tab)).toEqual(shown(tabs[0]!));
    }
  });

  it("keeps every tab in error through the leader's retries of a never-read session, each shown as fetching", async () => {
    const failure = new UnreadError('server', 'The server failed.', { status: 500 });
    const reads: string[] = [];
    // Each read takes 100 ms and fails: long enough for the followers to see it in flight.
    const slow = {
      reads,
      sourceFor: (tab: string): UnreadSource => ({
        kind: 'scripted',
        scope: 'tabs-test',
        read: () =>
          new Promise((_, reject) => {
            reads.push(tab);
            setTimeout(() => reject(failure), 100);
          }),
      }),
    };
    const states = new Map<string, UnreadState[]>();
    for (let i = 0; i < 3; i++) {
      const tab = openTab(slow as ReturnType<typeof conversation>, {
        retry: { random: () => 0.999999 },
      });
      const seen: UnreadState[] = [];
      states.set(tab.name, seen);
      subscriptions.push(tab.store.state$.subscribe((state) => seen.push(state)));
    }
    await vi.advanceTimersByTimeAsync(20_000);
    // One tab reads, on the backoff: at 0, then 1, 2, 4 and 8 s after each failure.
    expect(new Set(reads).size).toBe(1);
    expect(reads.length).toBeLessThanOrEqual(6);
    for (const [, seen] of states) {
      const first = seen.findIndex((state) => state.status === 'error');
      expect(first).toBeGreaterThan(-1);
      expect(seen.slice(first).every((state) => state.status === 'error')).toBe(true);
      expect(seen.slice(first).some((state) => state.fetching)).toBe(true);
    }
  });

  it('stops every tab on a refused key, and a new leader does not retry it', async () => {
    const source = conversation(new UnreadError('unauthorized', 'The key was refused.'));
    for (let i = 0; i < 3; i++) openTab(source);
    await vi.advanceTimersByTimeAsync(200);
    for (const tab of tabs) expect(tab.state().error?.code).toBe('unauthorized');
    tabs.find((tab) => tab.name === source.reads[0])!.close();
    await vi.advanceTimersByTimeAsync(takeover + interval * 3);
    expect(source.reads).toHaveLength(1);
  });

  it('shares a read made by a follower, and the leader waits a whole interval after it', async () => {
    const source = conversation(1, 5, 6);
    for (let i = 0; i < 3; i++) openTab(source);
    await vi.advanceTimersByTimeAsync(interval / 2);
    const follower = tabs.find((tab) => tab.name !== source.reads[0])!;
    await follower.store.refresh();
    await settle();
    expect(source.reads).toEqual([source.reads[0], follower.name]);
    for (const tab of tabs) expect(tab.state().count).toBe(5);
    await vi.advanceTimersByTimeAsync(interval - 1);
    expect(source.reads).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.reads).toHaveLength(3);
  });

  it("passes a follower's invalidation to the leader, which reads at once", async () => {
    const source = conversation(1, 2);
    for (let i = 0; i < 3; i++) openTab(source);
    await vi.advanceTimersByTimeAsync(interval / 2);
    const leaderName = source.reads[0];
    const follower = tabs.find((tab) => tab.name !== leaderName)!;
    await follower.client.invalidateQueries({ queryKey: follower.store.queryKey! });
    await settle();
    expect(source.reads).toEqual([leaderName, leaderName]);
    for (const tab of tabs) expect(tab.state().count).toBe(2);
  });

  it('hands the lead from a hidden leader to a visible tab', async () => {
    const source = conversation(1, 2, 3, 4);
    for (let i = 0; i < 3; i++) openTab(source);
    await vi.advanceTimersByTimeAsync(200);
    const leader = tabs.find((tab) => tab.name === source.reads[0])!;
    const [visible, other] = tabs.filter((tab) => tab !== leader);
    other!.document.setVisible(false);
    leader.document.setVisible(false);
    await vi.advanceTimersByTimeAsync(interval * 3);
    expect(source.reads.slice(1)).toEqual([visible!.name, visible!.name, visible!.name]);
    for (const tab of tabs) expect(tab.state().count).toBe(4);
  });

  it('keeps the lead in place between hidden tabs', async () => {
    const source = conversation(1, 2, 3, 4);
    openTab(source);
    openTab(source);
    await vi.advanceTimersByTimeAsync(200);
    const leaderName = source.reads[0];
    for (const tab of tabs) tab.document.setVisible(false);
    await vi.advanceTimersByTimeAsync(interval * 3);
    expect(source.reads).toEqual([leaderName, leaderName, leaderName, leaderName]);
    // The tab the visitor comes back to takes over; the hidden one stays a follower.
    const follower = tabs.find((tab) => tab.name !== leaderName)!;
    follower.document.setVisible(true);
    await vi.advanceTimersByTimeAsync(interval * 2);
    expect(source.reads.slice(4)).toEqual([follower.name, follower.name]);
  });

  it('gives a tab that opens later the current count without a read', async () => {
    const source = conversation(7);
    openTab(source);
    await vi.advanceTimersByTimeAsync(interval / 2);
    const late = openTab(source);
    await vi.advanceTimersByTimeAsync(200);
    expect(source.reads).toHaveLength(1);
    expect(late.state()).toMatchObject({ count: 7, status: 'ready' });
    expect(late.state().updatedAt).toBe(tabs[0]!.state().updatedAt);
  });

  it('leaves no channel, lock or timer behind', async () => {
    const source = conversation(1);
    for (let i = 0; i < 4; i++) openTab(source);
    await vi.advanceTimersByTimeAsync(interval * 2);
    expect(FakeChannel.open.size).toBe(4);
    for (const tab of [...tabs]) tab.close();
    await settle();
    expect(FakeChannel.open.size).toBe(0);
    expect(locks?.size ?? 0).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('crossTab with a push source', () => {
  it('opens the push stream in the leading tab only, and moves it with the lead', async () => {
    const base = conversation(1);
    const streams: { tab: string; signal: AbortSignal; next(count: number): void }[] = [];
    const pushing = {
      reads: base.reads,
      sourceFor: (tab: string): UnreadSource => ({
        ...base.sourceFor(tab),
        watch: (_sessionId, { signal }) =>
          new Observable<number>((subscriber) => {
            streams.push({ tab, signal, next: (count) => subscriber.next(count) });
          }),
      }),
    };
    for (let i = 0; i < 3; i++) openTab(pushing);
    await vi.advanceTimersByTimeAsync(200);
    expect(streams.map((stream) => stream.tab)).toEqual(['tab1']);
    streams[0]!.next(5);
    await settle();
    for (const tab of tabs) expect(tab.state()).toMatchObject({ count: 5, status: 'ready' });

    tabs[0]!.close();
    await vi.advanceTimersByTimeAsync(200);
    expect(streams[0]!.signal.aborted).toBe(true);
    const open = streams.filter((stream) => !stream.signal.aborted);
    expect(open).toHaveLength(1);
    open[0]!.next(7);
    await settle();
    for (const tab of tabs) expect(tab.state().count).toBe(7);
  });
});

describe('crossTab', () => {
  it('lets every tab read for itself when turned off', async () => {
    const source = conversation(1);
    for (let i = 0; i < 3; i++) openTab(source, { crossTab: false });
    await vi.advanceTimersByTimeAsync(interval * 2);
    expect(source.reads).toHaveLength(9);
    expect(FakeChannel.open.size).toBe(0);
    expect(locks!.size).toBe(0);
  });

  it('releases the lock and closes the channel when the session changes', async () => {
    const source = conversation(1);
    const { BehaviorSubject } = await import('rxjs');
    const session$ = new BehaviorSubject<string | null>(sessionA);
    const tab = openTab(source, { sessionId: session$ });
    await settle();
    expect(locks!.size).toBe(1);
    session$.next(null);
    await settle();
    expect(locks!.size).toBe(0);
    expect(FakeChannel.open.size).toBe(0);
    expect(tab.state().status).toBe('no-session');
  });

  it('shares one group among the stores of one page and client', async () => {
    const source = conversation(1);
    const tab = openTab(source);
    const second = createUnreadStore({
      source: source.sourceFor('tab1b'),
      sessionId: sessionA,
      queryClient: tab.client,
      pollIntervalMs: interval,
    });
    subscriptions.push(second.state$.subscribe());
    await vi.advanceTimersByTimeAsync(interval);
    expect(FakeChannel.open.size).toBe(1);
    expect(source.reads).toHaveLength(2);
    expect(second.getSnapshot().count).toBe(1);
    second.dispose();
  });

  it('leads on its own beside a tab of an older protocol that holds the old lock and channel', async () => {
    const queryKey = JSON.stringify(['crisp-unread', 'tabs-test', sessionA]);
    // A tab still running the first protocol: it holds the unversioned lock and talks on the
    // unversioned channel, in a format this version does not read.
    void locks?.request(`crisp-unread:${queryKey}`, {}, () => new Promise<void>(() => {}));
    const old = new FakeChannel(`crisp-unread:${queryKey}`);
    const source = conversation(4);
    const tab = openTab(source);
    old.postMessage({ type: 'leader', from: 'old', visible: true });
    await vi.advanceTimersByTimeAsync(200);
    expect(source.reads).toHaveLength(1);
    expect(tab.state()).toMatchObject({ count: 4, status: 'ready' });
    old.close();
  });

  it("applies another tab's newer state and error, sent as named messages", async () => {
    const source = conversation(1);
    const tab = openTab(source);
    await settle();
    const other = new FakeChannel(`crisp-unread:3:${JSON.stringify(tab.store.queryKey)}`);
    const at = Date.now() + 1000;
    other.postMessage({
      type: 'state',
      from: 1,
      state: { data: { count: 6, stale: true }, dataUpdatedAt: at, errorUpdatedAt: 0 },
    });
    await settle();
    expect(tab.state()).toMatchObject({ count: 6, stale: true, status: 'ready', updatedAt: at });
    other.postMessage({
      type: 'state',
      from: 1,
      state: {
        data: { count: 6, stale: true },
        dataUpdatedAt: at,
        errorUpdatedAt: at + 1,
        error: { code: 'server', message: 'The server failed.', status: 503 },
      },
    });
    await settle();
    expect(tab.state()).toMatchObject({ count: 6, status: 'error' });
    expect(tab.state().error).toMatchObject({ code: 'server', status: 503 });
    expect(isUnreadError(tab.state().error)).toBe(true);
    other.close();
  });

  it('ignores messages it does not understand', async () => {
    const source = conversation(1);
    const tab = openTab(source);
    await settle();
    const stranger = new FakeChannel(`crisp-unread:3:${JSON.stringify(tab.store.queryKey)}`);
    for (const junk of [
      null,
      'hello',
      // The second protocol's one-letter messages.
      { type: 's', from: 1, body: { data: 5, dataUpdatedAt: 9e15, errorUpdatedAt: 0 } },
      { type: 'l', from: 1, body: false },
      // The current format, malformed: a negative count, a timestamp as text, an error without
      // code, a count that is not a reading, no state, a leader without visibility or sender.
      {
        type: 'state',
        from: 1,
        state: { data: { count: -1, stale: false }, dataUpdatedAt: 9e15, errorUpdatedAt: 0 },
      },
      {
        type: 'state',
        from: 1,
        state: { data: { count: 5, stale: false }, dataUpdatedAt: '9e15', errorUpdatedAt: 0 },
      },
      { type: 'state', from: 1, state: { dataUpdatedAt: 0, errorUpdatedAt: 9e15, error: {} } },
      {
        type: 'state',
        from: 1,
        state: { data: { count: 5, stale: 'no' }, dataUpdatedAt: 9e15, errorUpdatedAt: 0 },
      },
      { type: 'state', from: 1, state: null },
      { type: 'leader', from: 1, visible: 'hidden' },
      { type: 'leader', visible: false },
      { type: 'nonsense', from: 1 },
    ]) {
      stranger.postMessage(junk);
    }
    await settle();
    stranger.close();
    expect(tab.state()).toMatchObject({ count: 1, status: 'ready' });
  });

  it('polls alone where locks are refused (a sandboxed frame), without retrying them', async () => {
    const request = vi.fn(() => Promise.reject(new DOMException('Denied.', 'SecurityError')));
    locks = { request } as unknown as FakeLocks;
    const source = conversation(1);
    const tab = openTab(source);
    await vi.advanceTimersByTimeAsync(interval * 2);
    expect(source.reads).toHaveLength(3);
    expect(request).toHaveBeenCalledTimes(1);
    tab.close();
    expect(FakeChannel.open.size).toBe(0);
  });

  it('polls alone where no channel can be opened', async () => {
    const source = conversation(1);
    const tab = openTab(source);
    tab.close();
    vi.stubGlobal(
      'BroadcastChannel',
      class {
        constructor() {
          throw new DOMException('Opaque origin.', 'SecurityError');
        }
      },
    );
    const store = createUnreadStore({
      source: source.sourceFor('alone'),
      sessionId: sessionA,
      queryClient: new QueryClient(),
      pollIntervalMs: interval,
    });
    subscriptions.push(store.state$.subscribe());
    await vi.advanceTimersByTimeAsync(interval);
    expect(source.reads.filter((name) => name === 'alone')).toHaveLength(2);
    expect(locks!.size).toBe(0);
    store.dispose();
  });

  it('rejects a crossTab that is not a boolean', () => {
    expect(() =>
      createUnreadStore({
        source: conversation(1).sourceFor('x'),
        crossTab: 'yes' as unknown as boolean,
      }),
    ).toThrow(/`crossTab` must be a boolean/);
  });

  it('does nothing outside browsers', () => {
    expect(browserCrossTab()).toBeUndefined();
  });
});

describe("crossTab with Node's BroadcastChannel and real timers", () => {
  beforeEach(() => {
    vi.useRealTimers();
    focusManager.setFocused(true);
  });

  it.each([
    ['Web Locks', true],
    ['the heartbeat', false],
  ])('reads about once per interval for 4 tabs with %s', async (_, withLocks) => {
    const pollIntervalMs = 150;
    const reads: string[] = [];
    const clients: QueryClient[] = [];
    const stores: UnreadStore[] = [];
    const sharedLocks = withLocks ? new FakeLocks() : undefined;
    for (let i = 0; i < 4; i++) {
      vi.stubGlobal('window', {});
      vi.stubGlobal('document', new FakeDocument());
      vi.stubGlobal('navigator', { locks: sharedLocks });
      vi.stubGlobal('BroadcastChannel', globalThis.BroadcastChannel);
      const client = new QueryClient();
      clients.push(client);
      const store = createUnreadStore({
        source: {
          kind: 'counting',
          scope: 'real-channel',
          read: async () => reads.push(`tab${i}`),
        },
        sessionId: sessionA,
        queryClient: client,
        pollIntervalMs,
        graceMs: 0,
      });
      stores.push(store);
      subscriptions.push(store.state$.subscribe());
    }
    await vi.waitFor(() => expect(reads.length).toBeGreaterThanOrEqual(1));
    const start = reads.length;
    const startAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs * 6));
    const intervals = (Date.now() - startAt) / pollIntervalMs;
    expect(reads.length - start).toBeLessThanOrEqual(Math.ceil(intervals) + 1);
    expect(reads.length - start).toBeGreaterThanOrEqual(3);
    await vi.waitFor(() => {
      const counts = new Set(stores.map((store) => store.getSnapshot().count));
      expect(counts.size).toBe(1);
    });
    for (const store of stores) store.dispose();
    for (const client of clients) client.clear();
    await vi.waitFor(() => expect(sharedLocks?.size ?? 0).toBe(0));
  });
});
