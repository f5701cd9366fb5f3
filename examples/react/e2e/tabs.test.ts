import { type ExampleServer, launchChromium, startExampleServer } from '@crisp-unread/example-kit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const distDir = new URL('../dist', import.meta.url).pathname;
const pollIntervalMs = 500;
/** The polling is measured over this many intervals, once the tabs have settled. */
const intervals = 8;
const timeout = pollIntervalMs * 10;

let server: ExampleServer;
let browser: Browser;
let context: BrowserContext;
const pageErrors: string[] = [];

interface Tab {
  readonly page: Page;
  /** When this page asked Crisp (the emulator) for the count, epoch ms. */
  readonly reads: number[];
}

beforeAll(async () => {
  server = await startExampleServer({ distDir, pollIntervalMs });
  browser = await launchChromium();
  context = await browser.newContext();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens the direct-REST page (the one that polls Crisp itself) in a new tab of the one context. */
async function openTab(): Promise<Tab> {
  const page = await context.newPage();
  const reads: number[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('request', (request) => {
    if (request.method() === 'GET' && request.url().startsWith(server.config.emulatorUrl)) {
      if (request.url().includes('/conversation/')) reads.push(Date.now());
    }
  });
  await page.goto(`${server.url}/?source=rest`);
  await waitForText(page.getByTestId('status'), 'ready');
  return { page, reads };
}

async function waitForText(locator: ReturnType<Page['getByTestId']>, text: string) {
  await locator.filter({ hasText: new RegExp(`^${text}$`) }).waitFor({ timeout });
}

const crispReads = () =>
  server.emulator.requests.filter(
    (request) => request.method === 'GET' && request.sessionId === server.sessionId,
  ).length;

/** Crisp reads over `intervals` poll intervals, after a settling interval. */
async function measure(): Promise<number> {
  await sleep(pollIntervalMs * 2);
  const before = crispReads();
  await sleep(pollIntervalMs * intervals);
  return crispReads() - before;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const since = (tab: Tab, at: number) => tab.reads.filter((time) => time >= at).length;

describe('one poller across the tabs of the React example in Chromium', () => {
  const tabs: Tab[] = [];
  let oneTab = 0;
  let fiveTabs = 0;

  it('reads about once per interval from one tab', async () => {
    const tab = await openTab();
    oneTab = await measure();
    expect(oneTab).toBeGreaterThanOrEqual(intervals - 2);
    expect(oneTab).toBeLessThanOrEqual(intervals + 1);
    await tab.page.close();
  });

  it('still reads about once per interval in total from five tabs', async () => {
    for (let i = 0; i < 5; i++) tabs.push(await openTab());
    const start = Date.now() + pollIntervalMs * 2;
    fiveTabs = await measure();
    console.info(
      `Crisp reads over ${intervals} intervals of ${pollIntervalMs} ms: 1 tab ${oneTab}, 5 tabs ${fiveTabs}`,
    );
    expect(fiveTabs).toBeGreaterThanOrEqual(intervals - 2);
    expect(fiveTabs).toBeLessThanOrEqual(intervals + 1);
    // One tab polls; the others make no request at all.
    const polling = tabs.filter((tab) => since(tab, start) > 0);
    expect(polling).toHaveLength(1);
  });

  it('shows the same badge in every tab', async () => {
    server.emulator.operatorSends(server.website.websiteId, server.sessionId, 2);
    for (const tab of tabs) await waitForText(tab.page.getByTestId('badge'), '2');
    for (const tab of tabs) await waitForText(tab.page.getByTestId('status'), 'ready');
  });

  it('goes on polling from another tab when the leader closes, and the tabs keep updating', async () => {
    const leader = tabs.find((tab) => since(tab, Date.now() - pollIntervalMs * 4) > 0)!;
    expect(leader).toBe(tabs[0]); // Web Locks grant in request order: the first tab leads.
    await leader.page.close();
    const closedAt = Date.now();
    tabs.splice(tabs.indexOf(leader), 1);

    await expect
      .poll(() => tabs.filter((tab) => since(tab, closedAt) > 0).length, {
        timeout: pollIntervalMs * 2 + 1000,
        interval: 50,
      })
      .toBe(1);
    const next = tabs.find((tab) => since(tab, closedAt) > 0)!;
    const afterClose = await measure();
    expect(afterClose).toBeGreaterThanOrEqual(intervals - 2);
    expect(afterClose).toBeLessThanOrEqual(intervals + 1);
    expect(tabs.filter((tab) => since(tab, closedAt) > 0)).toEqual([next]);

    server.emulator.operatorSends(server.website.websiteId, server.sessionId, 1);
    for (const tab of tabs) await waitForText(tab.page.getByTestId('badge'), '3');
  });

  it('hands the polling over to a visible tab when the leader is hidden', async () => {
    const leader = tabs.find((tab) => since(tab, Date.now() - pollIntervalMs * 2) > 0)!;
    // Headless pages are all visible: emulate the visitor switching away from the leader's tab.
    await leader.page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', {
        configurable: true,
        get: () => 'hidden',
      });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const hiddenAt = Date.now();
    await expect
      .poll(() => tabs.filter((tab) => tab !== leader && since(tab, hiddenAt) > 0).length, {
        timeout: pollIntervalMs * 2 + 1000,
        interval: 50,
      })
      .toBe(1);
    const afterHide = await measure();
    expect(afterHide).toBeLessThanOrEqual(intervals + 1);
    expect(since(leader, Date.now() - pollIntervalMs * intervals)).toBe(0);
  });

  it('threw nothing in any tab', () => {
    expect(pageErrors).toEqual([]);
  });
});
