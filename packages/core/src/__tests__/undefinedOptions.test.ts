// Apps pass environment values straight through (`timeoutMs: env.X`): an option given as
// `undefined` behaves exactly as an omitted one, at every level, and type-checks under
// exactOptionalPropertyTypes.
import { QueryClient } from '@tanstack/query-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createUnreadStore } from '../createUnreadStore';
import { crispChatbox } from '../crispChatbox';
import { crispRelay } from '../crispRelay';
import { crispRest } from '../crispRest';
import { scriptedSource, sessionA } from './sources';

const unset = (): undefined => undefined;
const client = new QueryClient();
afterEach(() => {
  client.clear();
  vi.useRealTimers();
});

describe('options given as undefined', () => {
  it('take their defaults in the store, retry settings included', async () => {
    vi.useFakeTimers();
    const source = scriptedSource(3);
    const store = createUnreadStore({
      source,
      sessionId: sessionA,
      queryClient: client,
      pollIntervalMs: unset(),
      pauseWhenHidden: unset(),
      crossTab: unset(),
      retry: { baseDelayMs: unset(), maxDelayMs: unset(), random: unset() },
      graceMs: unset(),
      gcTimeMs: unset(),
    });
    const subscription = store.state$.subscribe(() => {});
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getSnapshot()).toMatchObject({ status: 'ready', count: 3 });
    // The default interval: no second read before 30 s.
    await vi.advanceTimersByTimeAsync(29_000);
    expect(source.calls).toHaveLength(1);
    subscription.unsubscribe();
    store.dispose();
  });

  it('take their defaults in the sources', () => {
    const relay = crispRelay({
      url: 'http://127.0.0.1:9/relay',
      stream: unset(),
      fetch: unset(),
      timeoutMs: unset(),
      idleTimeoutMs: unset(),
      reconnect: { baseDelayMs: unset(), maxDelayMs: unset(), maxAttempts: unset() },
    });
    expect(relay.watch).toBeUndefined();
    const rest = crispRest({
      websiteId: '8c842203-7ed8-4e29-a608-7cf78a7d2fcc',
      identifier: 'id',
      key: 'key',
      baseUrl: unset(),
      tier: unset(),
      timeoutMs: unset(),
      fetch: unset(),
      dangerouslyAllowBrowser: unset(),
    });
    expect(rest.scope).toBe('8c842203-7ed8-4e29-a608-7cf78a7d2fcc');
    expect(crispChatbox({ target: {}, reconcileMs: unset() }).kind).toBe('crisp-chatbox');
  });
});
