import { QueryClient } from '@tanstack/query-core';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createUnreadStore,
  UnreadError,
  type UnreadReading,
  type UnreadSource,
  type UnreadState,
  type UnreadStore,
  type UnreadStoreOptions,
} from '../index';
import { sessionA } from './sources';

// The public contract of `UnreadState.stale`, through createUnreadStore and source objects only.
// (The relay side — crispRelay reading `stale` from JSON and SSE — is in packages/relay.)
let scopes = 0;
const cleanups: Array<() => void> = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  vi.unstubAllGlobals();
});

type Answer = number | UnreadReading | UnreadError | { count: unknown; stale: unknown };

/** A source answering each read with the next answer (the last one repeats). */
function readings(answers: Answer[], extra: Partial<UnreadSource> = {}) {
  const source: UnreadSource & { reads: number } = {
    kind: 'scripted',
    scope: `stale-${++scopes}`,
    reads: 0,
    async read() {
      source.reads += 1;
      const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
      if (answer instanceof UnreadError) throw answer;
      return answer as UnreadReading;
    },
    ...extra,
  };
  return source;
}

function open(source: UnreadSource, options: Partial<UnreadStoreOptions> = {}) {
  const queryClient = new QueryClient();
  const store = createUnreadStore({
    source,
    sessionId: sessionA,
    queryClient,
    pollIntervalMs: 3_600_000,
    pauseWhenHidden: false,
    crossTab: false,
    graceMs: 0,
    ...options,
  });
  const states: UnreadState[] = [];
  const subscription = store.state$.subscribe((state) => states.push(state));
  cleanups.push(() => {
    subscription.unsubscribe();
    store.dispose();
    queryClient.clear();
  });
  return { store, queryClient, states };
}

const settled = (store: UnreadStore) =>
  vi.waitFor(() => {
    expect(['ready', 'error']).toContain(store.getSnapshot().status);
  });

describe('UnreadState.stale', () => {
  it('is false before any count: idle, no session, loading, and a bad session id', async () => {
    const source = readings([{ count: 1, stale: true }]);
    const idle = createUnreadStore({ source, sessionId: sessionA, queryClient: new QueryClient() });
    expect(idle.getSnapshot()).toMatchObject({ status: 'idle', stale: false });
    idle.dispose();
    expect(open(source, { sessionId: null }).store.getSnapshot()).toMatchObject({
      status: 'no-session',
      stale: false,
    });
    expect(open(source, { sessionId: 'nope' }).store.getSnapshot()).toMatchObject({
      status: 'error',
      stale: false,
    });
    const loading = open(readings([new Promise(() => {}) as never]));
    expect(loading.store.getSnapshot()).toMatchObject({ status: 'loading', stale: false });
  });

  it('is false for a source that answers plain counts', async () => {
    const { store } = open(readings([4]));
    await settled(store);
    expect(store.getSnapshot()).toMatchObject({ count: 4, status: 'ready', stale: false });
  });

  it("follows the source's readings: stale while it cannot refresh, fresh again after", async () => {
    const { store, states } = open(
      readings([
        { count: 2, stale: false },
        { count: 2, stale: true },
        { count: 3, stale: false },
      ]),
    );
    await settled(store);
    expect(store.getSnapshot()).toMatchObject({ count: 2, stale: false });
    await store.refresh();
    expect(store.getSnapshot()).toMatchObject({ count: 2, status: 'ready', stale: true });
    await store.refresh();
    expect(store.getSnapshot()).toMatchObject({ count: 3, status: 'ready', stale: false });
    // Each change of the flag alone is a new state.
    expect(states.map(({ count, stale }) => [count, stale]).slice(-3)).toEqual([
      [2, false],
      [2, true],
      [3, false],
    ]);
  });

  it('stays true through a failed read that keeps the stale count on show', async () => {
    const { store } = open(
      readings([{ count: 5, stale: true }, new UnreadError('server', 'down', { status: 500 })]),
      { retry: false },
    );
    await settled(store);
    await store.refresh();
    expect(store.getSnapshot()).toMatchObject({ count: 5, status: 'error', stale: true });
  });

  it('is false when the session is gone', async () => {
    const { store } = open(
      readings([{ count: 5, stale: true }, new UnreadError('session-not-found', 'gone')]),
    );
    await settled(store);
    await store.refresh();
    expect(store.getSnapshot()).toMatchObject({ count: null, status: 'no-session', stale: false });
  });

  it('rejects a reading without a whole count or a boolean stale as invalid-response', async () => {
    for (const bad of [
      { count: 2, stale: 'yes' },
      { count: -1, stale: false },
      { count: 1.5, stale: true },
      { count: 2 },
    ]) {
      const { store } = open(readings([bad as Answer]), { retry: false });
      await settled(store);
      expect(store.getSnapshot()).toMatchObject({ count: null, status: 'error', stale: false });
      expect(store.getSnapshot().error?.code).toBe('invalid-response');
    }
  });

  it('comes with pushed readings too, and a plain pushed count is fresh', async () => {
    const pushes = new Subject<unknown>();
    const source = readings([{ count: 1, stale: false }], {
      watch: () => pushes as Subject<UnreadReading>,
    });
    const { store } = open(source);
    await settled(store);
    pushes.next({ count: 4, stale: true });
    expect(store.getSnapshot()).toMatchObject({ count: 4, status: 'ready', stale: true });
    pushes.next(4);
    expect(store.getSnapshot()).toMatchObject({ count: 4, status: 'ready', stale: false });
    pushes.next({ count: 6, stale: false });
    expect(store.getSnapshot()).toMatchObject({ count: 6, stale: false });
  });

  it('reads a plain number the app writes into the cache as a fresh count, and caches readings', async () => {
    const { store, queryClient } = open(readings([{ count: 2, stale: true }]));
    await settled(store);
    expect(queryClient.getQueryData(store.queryKey!)).toEqual({ count: 2, stale: true });
    queryClient.setQueryData(store.queryKey!, 3);
    expect(store.getSnapshot()).toMatchObject({ count: 3, status: 'ready', stale: false });
  });

  it('is false once messages are marked as read', async () => {
    const { store } = open(
      readings([{ count: 2, stale: true }], { markAsRead: () => Promise.resolve() }),
    );
    await settled(store);
    expect(store.getSnapshot().stale).toBe(true);
    await store.markAsRead();
    expect(store.getSnapshot()).toMatchObject({ count: 0, status: 'ready', stale: false });
  });

  it("crosses tabs: a follower shows the leader's stale flag", async () => {
    // A page for the cross-tab election, with Node's own BroadcastChannel between the two stores.
    vi.stubGlobal('window', {});
    vi.stubGlobal('navigator', {});
    vi.stubGlobal('document', {
      visibilityState: 'visible',
      addEventListener() {},
      removeEventListener() {},
    });
    const answers: Answer[] = [{ count: 7, stale: true }];
    const scope = `stale-tabs-${++scopes}`;
    const tab = () => {
      const source = { ...readings(answers), scope };
      return { source, ...open(source, { crossTab: true }) };
    };
    const leader = tab();
    await settled(leader.store);
    const follower = tab();
    await vi.waitFor(() =>
      expect(follower.store.getSnapshot()).toMatchObject({
        count: 7,
        status: 'ready',
        stale: true,
      }),
    );
    answers.splice(0, answers.length, { count: 7, stale: false });
    await leader.store.refresh();
    await vi.waitFor(() =>
      expect(follower.store.getSnapshot()).toMatchObject({ count: 7, stale: false }),
    );
    expect(follower.source.reads).toBe(0);
  });
});
