// Latency from an operator's message to the store's count changing: the chatbox source, the relay's
// SSE stream (web hook -> relay -> SSE), and REST polling for reference beside a naive poller.
import { randomBytes } from 'node:crypto';
import {
  createUnreadStore,
  crispChatbox,
  crispRelay,
  crispRest,
  type UnreadStore,
} from '@crisp-unread/core';
import { createUnreadRelay } from '@crisp-unread/relay';
import { serveUnreadRelay } from '@crisp-unread/relay/node';
import { createFakeCrisp } from '@crisp-unread/testing';
import { QueryClient } from '@tanstack/query-core';
import { naivePoller, newCase, startEmulator } from '../emulator';
import { type Group, percentile, type Row, round, sleep, waitFor } from '../util';

/** Resolves with the time (ms) from `act()` to the store's count reaching `expected`. */
function timeToCount(store: UnreadStore, expected: number, act: () => void): Promise<number> {
  return new Promise((resolve, reject) => {
    let started = Number.POSITIVE_INFINITY;
    let done = false;
    const deadline = setTimeout(() => {
      subscription.unsubscribe();
      reject(new Error(`bench: the count did not reach ${expected} within 10 s`));
    }, 10_000);
    const subscription = store.unreadCount$.subscribe((count) => {
      if (done || count !== expected || started === Number.POSITIVE_INFINITY) return;
      done = true;
      const elapsed = performance.now() - started;
      clearTimeout(deadline);
      // Unsubscribe outside the callback; the store's own subscriber keeps it running.
      queueMicrotask(() => subscription.unsubscribe());
      resolve(elapsed);
    });
    started = performance.now();
    act();
  });
}

const row = (metric: string, samples: number[], p: 50 | 95, goalMs: number | null): Row => {
  const value = round(percentile(samples, p), 1);
  return {
    group: 'latency',
    metric: `${metric} p${p}`,
    value,
    unit: 'ms',
    baseline: null,
    baselineLabel: '',
    goal: goalMs === null ? 'reference' : `< ${goalMs} ms`,
    pass: goalMs === null ? null : value < goalMs,
    note: `${samples.length} samples`,
  };
};

export const latency: Group = async ({ quick, log }) => {
  const rows: Row[] = [];

  // Chatbox: a faithful fake $crisp on a plain object, events straight into the store.
  {
    const samples = quick ? 50 : 300;
    log(`chatbox source: ${samples} samples`);
    const host = {};
    const fake = createFakeCrisp(host);
    fake.install();
    const store = createUnreadStore({
      source: crispChatbox({ target: host }),
      queryClient: new QueryClient(),
      crossTab: false,
    });
    const keep = store.subscribe(() => {});
    fake.load();
    await waitFor(() => store.getSnapshot().status === 'ready', 'the chatbox count');
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      times.push(await timeToCount(store, fake.unread + 1, () => fake.operatorSends(1)));
      await sleep(2);
    }
    keep();
    store.dispose();
    rows.push(row('chatbox source', times, 50, 50), row('chatbox source', times, 95, 250));
  }

  const emulator = await startEmulator();
  try {
    // Relay SSE: the emulator's signed web hook -> relay -> re-read -> SSE -> store.
    {
      const samples = quick ? 15 : 60;
      log(`relay SSE: ${samples} samples`);
      const c = newCase(emulator);
      const secret = randomBytes(24).toString('hex');
      const relay = createUnreadRelay({
        ...emulator.restOptions(c.website),
        webhookSecret: secret,
        ttlMs: 600_000,
        dailyBudget: 1_000_000,
        rateLimit: false,
        log: false,
      });
      const served = await serveUnreadRelay(relay, { port: 0 });
      emulator.setWebhook({ url: `${served.url}/webhooks/crisp`, secret });
      const store = createUnreadStore({
        source: crispRelay({ url: served.url, stream: true }),
        sessionId: c.sessionId,
        // Long, so that only the stream can move the count within a sample.
        pollIntervalMs: 60_000,
        queryClient: new QueryClient(),
      });
      const keep = store.subscribe(() => {});
      try {
        await waitFor(() => store.getSnapshot().status === 'ready', 'the relay count');
        await waitFor(() => relay.stats().streams > 0, 'the SSE stream');
        await sleep(100);
        const times: number[] = [];
        for (let i = 0; i < samples; i++) {
          times.push(
            await timeToCount(store, emulator.unreadOf(c.website.websiteId, c.sessionId) + 1, () =>
              emulator.operatorSends(c.website.websiteId, c.sessionId, 1),
            ),
          );
          await emulator.webhooksDelivered();
          await sleep(10);
        }
        rows.push(row('relay SSE', times, 50, 50), row('relay SSE', times, 95, 250));
      } finally {
        keep();
        store.dispose();
        emulator.setWebhook(null);
        await served.close();
      }
    }

    // REST polling for reference, beside a naive setInterval + fetch poller at the same interval.
    {
      const pollIntervalMs = quick ? 200 : 500;
      const samples = quick ? 8 : 40;
      log(`REST polling every ${pollIntervalMs} ms: ${samples} samples (store and naive poller)`);
      const c = newCase(emulator);
      const store = createUnreadStore({
        source: crispRest(emulator.restOptions(c.website)),
        sessionId: c.sessionId,
        pollIntervalMs,
        queryClient: new QueryClient(),
      });
      const keep = store.subscribe(() => {});
      let naiveSeen: ((count: number) => void) | undefined;
      const stopNaive = naivePoller(c, pollIntervalMs, (count) => naiveSeen?.(count));
      try {
        await waitFor(() => store.getSnapshot().status === 'ready', 'the REST count');
        const times: number[] = [];
        const naiveTimes: number[] = [];
        for (let i = 0; i < samples; i++) {
          // A random phase against both pollers' schedules.
          await sleep(Math.random() * pollIntervalMs);
          const expected = emulator.unreadOf(c.website.websiteId, c.sessionId) + 1;
          let started = Number.POSITIVE_INFINITY;
          const naiveDone = new Promise<number>((resolve) => {
            naiveSeen = (count) => {
              if (count === expected) resolve(performance.now() - started);
            };
          });
          const storeTime = timeToCount(store, expected, () => {
            started = performance.now();
            emulator.operatorSends(c.website.websiteId, c.sessionId, 1);
          });
          times.push(await storeTime);
          naiveTimes.push(await naiveDone);
          naiveSeen = undefined;
        }
        const reference = `REST polling every ${pollIntervalMs} ms`;
        for (const p of [50, 95] as const) {
          const r = row(reference, times, p, null);
          r.baseline = round(percentile(naiveTimes, p), 1);
          r.baselineLabel = 'naive setInterval+fetch, same interval';
          r.goal = p === 50 ? `reference (~${pollIntervalMs / 2} ms)` : 'reference';
          rows.push(r);
        }
      } finally {
        stopNaive();
        keep();
        store.dispose();
      }
    }
  } finally {
    await emulator.close();
  }

  // The push rows' baseline: polling at the REST row's interval, as measured just now.
  const restP50 = rows.find((r) => r.metric.startsWith('REST') && r.metric.endsWith('p50'));
  const restP95 = rows.find((r) => r.metric.startsWith('REST') && r.metric.endsWith('p95'));
  for (const r of rows) {
    if (r.metric.startsWith('REST')) continue;
    const reference = r.metric.endsWith('p50') ? restP50 : restP95;
    r.baseline = reference?.baseline ?? null;
    r.baselineLabel = reference ? `naive polling (${reference.metric.replace(/ p\d+$/, '')})` : '';
  }
  return rows;
};
