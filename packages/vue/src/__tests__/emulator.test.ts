import { createUnreadStore, crispRest, type UnreadStore } from '@crisp-unread/core';
import { type CrispEmulator, startCrispEmulator } from '@crisp-unread/testing';
import { flushPromises, mount } from '@vue/test-utils';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defineComponent, h, onUpdated } from 'vue';
import { createUnreadPlugin } from '../createUnreadPlugin';
import { useUnread } from '../useUnread';

let emulator: CrispEmulator;

beforeAll(async () => {
  emulator = await startCrispEmulator();
});

afterAll(async () => {
  await emulator?.close();
});

describe('useUnread against the Crisp emulator', () => {
  it('shows live counts and updates 0 times per poll that returns the same count', async () => {
    const website = emulator.createWebsite();
    const sessionId = emulator.createSession(website.websiteId, { unread: 1 });
    const store: UnreadStore = createUnreadStore({
      source: crispRest({ ...emulator.restOptions(website), dangerouslyAllowBrowser: true }),
      sessionId,
      pollIntervalMs: 100,
      pauseWhenHidden: false,
      crossTab: false,
      graceMs: 0,
    });
    let updates = 0;
    const wrapper = mount(
      defineComponent({
        setup() {
          const { count, status } = useUnread();
          onUpdated(() => {
            updates += 1;
          });
          return () => h('p', `${count.value} ${status.value}`);
        },
      }),
      { global: { plugins: [createUnreadPlugin(store)] } },
    );
    const reads = (filter = {}) => emulator.requestCount({ sessionId, ...filter });

    await vi.waitFor(() => expect(wrapper.text()).toBe('1 ready'), { timeout: 15_000 });
    const before = { updates, reads: reads() };
    await vi.waitFor(() => expect(reads()).toBeGreaterThanOrEqual(before.reads + 5), {
      timeout: 15_000,
    });
    await flushPromises();
    expect(updates - before.updates).toBe(0);

    emulator.operatorSends(website.websiteId, sessionId, 2);
    await vi.waitFor(() => expect(wrapper.text()).toBe('3 ready'), { timeout: 15_000 });
    expect(updates - before.updates).toBe(1);

    emulator.fault({ type: 'server-error' });
    await vi.waitFor(() => expect(wrapper.text()).toBe('3 error'), { timeout: 15_000 });
    emulator.clearFaults();

    wrapper.unmount();
    store.dispose();
    const after = reads();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reads()).toBe(after);
  });
});
