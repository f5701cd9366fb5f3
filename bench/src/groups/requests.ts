// Upstream requests per poll interval: the store (one subscriber, 100 subscribers, 100 stores on one
// QueryClient) and 5 Chromium tabs of the React example, each beside naive setInterval + fetch.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createUnreadStore, crispRest, type UnreadStore } from '@crisp-unread/core';
import { launchChromium, startExampleServer } from '@crisp-unread/example-kit';
import { QueryClient } from '@tanstack/query-core';
import type { Page } from 'playwright-core';
import { type Case, naivePoller, newCase, startEmulator } from '../emulator';
import { type Group, type Row, round, sleep, waitFor } from '../util';
import { failingSessionRows } from './failingSession';

const exampleDist = fileURLToPath(new URL('../../../examples/react/dist', import.meta.url));

export const requests: Group = async ({ quick, log }) => {
  // 500 ms keeps 100 naive pollers (200 req/s) within what a 2-core machine serves on time.
  const pollIntervalMs = 500;
  const intervals = quick ? 4 : 8;
  const emulator = await startEmulator();
  const rows: Row[] = [];

  /** Upstream GETs per interval over `intervals` intervals, once `start` has settled. */
  const measure = async (start: (c: Case) => Promise<() => void>) => {
    const c = newCase(emulator);
    const stop = await start(c);
    await waitFor(() => c.gets() > 0, 'the first upstream read');
    await sleep(pollIntervalMs / 2);
    const before = c.gets();
    await sleep(pollIntervalMs * intervals);
    const perInterval = (c.gets() - before) / intervals;
    stop();
    return round(perInterval);
  };

  const naive = (subscribers: number) =>
    measure(async (c) => {
      const stops = Array.from({ length: subscribers }, () => naivePoller(c, pollIntervalMs));
      return () => {
        for (const stop of stops) stop();
      };
    });

  /** `stores` stores on one QueryClient, `subscribers` subscribers each. */
  const project = (stores: number, subscribers: number) =>
    measure(async (c) => {
      const queryClient = new QueryClient();
      const all: UnreadStore[] = [];
      const unsubscribes: (() => void)[] = [];
      for (let i = 0; i < stores; i++) {
        const store = createUnreadStore({
          source: crispRest(c.emulator.restOptions(c.website)),
          sessionId: c.sessionId,
          pollIntervalMs,
          queryClient,
        });
        all.push(store);
        for (let j = 0; j < subscribers; j++) unsubscribes.push(store.subscribe(() => {}));
      }
      return () => {
        for (const unsubscribe of unsubscribes) unsubscribe();
        for (const store of all) store.dispose();
        queryClient.clear();
      };
    });

  const add = (metric: string, value: number, baseline: number, label: string) =>
    rows.push({
      group: 'requests',
      metric,
      value,
      unit: 'req/interval',
      baseline,
      baselineLabel: label,
      goal: '<= 1',
      // One read per interval; a boundary read may land in the window (+1 over `intervals`).
      pass: value <= 1 + 1 / intervals + 1e-9,
    });

  try {
    log(`store vs naive polling, ${pollIntervalMs} ms interval, ${intervals} intervals`);
    const naive1 = await naive(1);
    add('1 subscriber', await project(1, 1), naive1, 'naive setInterval+fetch');
    const naive100 = await naive(100);
    add('100 subscribers, one store', await project(1, 100), naive100, '100 naive pollers');
    add('100 stores sharing a QueryClient', await project(100, 1), naive100, '100 naive pollers');
  } finally {
    await emulator.close();
  }

  rows.push(...(await failingSessionRows(log)));
  rows.push(await chromiumTabs(quick, log));
  return rows;
};

/** Crisp reads per interval from 5 tabs of the React example (`?source=rest`) in one context. */
async function chromiumTabs(quick: boolean, log: (line: string) => void): Promise<Row> {
  const pollIntervalMs = 500;
  const intervals = quick ? 3 : 10;
  const settleMs = pollIntervalMs * (quick ? 1 : 2);
  const row: Row = {
    group: 'requests',
    metric: '5 tabs in Chromium (React example, ?source=rest)',
    value: null,
    unit: 'req/interval',
    baseline: null,
    baselineLabel: '5 x one tab, same page',
    goal: '<= 1',
    pass: null,
  };
  if (!existsSync(`${exampleDist}/index.html`)) {
    row.note = 'examples/react/dist is missing: pnpm --filter @crisp-unread/example-react build';
    return row;
  }
  log(`5 Chromium tabs vs 1 tab, ${pollIntervalMs} ms interval, ${intervals} intervals`);
  const server = await startExampleServer({ distDir: exampleDist, pollIntervalMs });
  const browser = await launchChromium();
  try {
    const reads = () =>
      server.emulator.requestCount({ method: 'GET', sessionId: server.sessionId });
    const measure = async () => {
      await sleep(settleMs);
      const before = reads();
      await sleep(pollIntervalMs * intervals);
      return (reads() - before) / intervals;
    };
    const open = async (context: Awaited<ReturnType<typeof browser.newContext>>) => {
      const page = await context.newPage();
      await page.goto(`${server.url}/?source=rest`);
      await ready(page, pollIntervalMs * 20);
      return page;
    };

    const one = await browser.newContext();
    await open(one);
    const oneTab = await measure();
    await one.close();
    await sleep(settleMs);

    const five = await browser.newContext();
    for (let i = 0; i < 5; i++) await open(five);
    const fiveTabs = await measure();
    await five.close();

    row.value = round(fiveTabs);
    row.baseline = round(oneTab * 5);
    row.pass = fiveTabs <= 1 + 1 / intervals + 1e-9;
    return row;
  } finally {
    await browser.close();
    await server.close();
  }
}

async function ready(page: Page, timeout: number) {
  await page
    .getByTestId('status')
    .filter({ hasText: /^ready$/ })
    .waitFor({ timeout });
}
