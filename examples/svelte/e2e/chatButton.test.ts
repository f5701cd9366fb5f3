import {
  createUnreadStore,
  crispRelay,
  type UnreadSource,
  type UnreadStore,
} from '@crisp-unread/core';
import { render } from 'svelte/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import ChatButton from '../src/ChatButton.svelte';
import { unreadStoreKey } from '../src/unread';

const sessionId = 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881';
const stores: UnreadStore[] = [];

afterEach(() => {
  for (const store of stores.splice(0)) store.dispose();
});

function storeCounting(count: number): UnreadStore {
  const source: UnreadSource = { kind: 'fixed', scope: `fixed-${count}`, read: async () => count };
  const store = createUnreadStore({ source, sessionId, pollIntervalMs: 60_000, graceMs: 0 });
  stores.push(store);
  return store;
}

const renderButton = (store: UnreadStore) =>
  render(ChatButton, { props: {}, context: new Map([[unreadStoreKey, store]]) }).body;

// A component that subscribes to a store already running (another component, another page region)
// gets nothing new on subscribe: only the store contract's call at once gives `$store` its state.
describe('ChatButton.svelte on a store that is already ready', () => {
  it('shows the status from $unread and the badge from $count', async () => {
    const store = storeCounting(3);
    const keep = store.subscribe(() => {});
    await expect.poll(() => store.getSnapshot().status).toBe('ready');

    const html = renderButton(store);
    expect(html).toContain('data-testid="status" role="status">ready</p>');
    expect(html).toMatch(/data-testid="badge">3<\/span>/);
    expect(html).toContain('aria-label="Messages, 3 unread"');
    keep();
  });

  it('shows no badge at 0 and the error code when the store failed', async () => {
    const failing: UnreadSource = {
      kind: 'failing',
      scope: 'failing',
      read: async () => {
        throw new Error('down');
      },
    };
    const store = createUnreadStore({ source: failing, sessionId, retry: false, graceMs: 0 });
    stores.push(store);
    const keep = store.subscribe(() => {});
    await expect.poll(() => store.getSnapshot().status).toBe('error');

    const html = renderButton(store);
    expect(html).toMatch(/role="status">error: \w[\w-]*<\/p>/);
    expect(html).not.toContain('data-testid="badge"');
    keep();
  });
});

describe('ChatButton.svelte in a server render (SvelteKit)', () => {
  it('renders the idle state on a relative relay URL, and reads nothing on the server', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const store = createUnreadStore({
      source: crispRelay({ url: '/api/crisp-unread', stream: true }),
      sessionId,
    });
    stores.push(store);
    const html = renderButton(store);
    expect(html).toContain('role="status">idle</p>');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(store.getSnapshot().status).toBe('idle');
    fetchSpy.mockRestore();
  });
});
