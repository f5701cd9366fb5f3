import { createUnreadStore, crispRest, type UnreadStore } from '@crisp-unread/core';
import {
  type CrispEmulator,
  type EmulatedWebsite,
  startCrispEmulator,
} from '@crisp-unread/testing';
import { cleanup, configure, render, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UnreadProvider } from '../UnreadProvider';
import { useUnread } from '../useUnread';

// Generous: a loaded CI machine may take a while to answer, and nothing here measures time.
configure({ asyncUtilTimeout: 15_000 });

let emulator: CrispEmulator;
let website: EmulatedWebsite;
let store: UnreadStore | undefined;

beforeAll(async () => {
  emulator = await startCrispEmulator();
  website = emulator.createWebsite();
});

afterEach(() => {
  cleanup();
  store?.dispose();
});

afterAll(() => emulator.close());

function Badge({ onRender }: { onRender: () => void }) {
  const { count, status, error } = useUnread();
  onRender();
  return (
    <p>
      <span data-testid="count">{count ?? ''}</span>
      <span data-testid="status">{error ? `${status}: ${error.code}` : status}</span>
    </p>
  );
}

describe('useUnread against the Crisp emulator', () => {
  it('follows the count, counts renders per poll and keeps the count through a 500', async () => {
    const sessionId = emulator.createSession(website.websiteId, { unread: 1 });
    store = createUnreadStore({
      source: crispRest({ ...emulator.restOptions(website), dangerouslyAllowBrowser: true }),
      sessionId,
      pollIntervalMs: 100,
      pauseWhenHidden: false,
      crossTab: false,
      retry: false,
    });
    let renders = 0;
    const view = render(
      <UnreadProvider store={store}>
        <Badge onRender={() => (renders += 1)} />
      </UnreadProvider>,
    );
    const count = () => view.getByTestId('count').textContent;
    const status = () => view.getByTestId('status').textContent;
    await waitFor(() => expect(count()).toBe('1'));

    const rendersWhenReady = renders;
    const requestsWhenReady = emulator.requestCount({ sessionId });
    await waitFor(() =>
      expect(emulator.requestCount({ sessionId })).toBeGreaterThanOrEqual(requestsWhenReady + 5),
    );
    expect(renders - rendersWhenReady).toBe(0);

    emulator.operatorSends(website.websiteId, sessionId, 2);
    await waitFor(() => expect(count()).toBe('3'));

    emulator.fault({ type: 'server-error' });
    emulator.operatorSends(website.websiteId, sessionId, 1);
    await waitFor(() => expect(status()).toBe('error: server'));
    expect(count()).toBe('3');

    emulator.clearFaults();
    await waitFor(() => expect(status()).toBe('ready'));
    expect(count()).toBe('4');
  });
});
