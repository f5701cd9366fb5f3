import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ExampleServer, launchChromium, startExampleServer } from '@crisp-unread/example-kit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const distDir = fileURLToPath(new URL('../dist', import.meta.url));
const resultsDir = fileURLToPath(new URL('../test-results', import.meta.url));
// Pushes need no polling: a long interval shows the count moves by web hook -> relay -> SSE.
const pollIntervalMs = 60_000;
const timeout = 10_000;

let server: ExampleServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const bodies: string[] = [];

beforeAll(async () => {
  server = await startExampleServer({ distDir, pollIntervalMs });
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('response', (response) => {
    if (response.request().resourceType() !== 'eventsource') {
      void response.text().then(
        (text) => bodies.push(text),
        () => {},
      );
    }
  });
  await page.goto(server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const badge = () => page.getByTestId('badge');
const status = () => page.getByTestId('status');

async function waitForText(locator: ReturnType<Page['getByTestId']>, text: string) {
  await locator.filter({ hasText: new RegExp(`^${text}$`) }).waitFor({ timeout });
}

describe('the React example on the relay (the default) in Chromium', () => {
  it('reads the count through the relay', async () => {
    await waitForText(status(), 'ready');
    expect(await badge().count()).toBe(0);
    expect(server.relayRequests.some((request) => request.path.endsWith('/unread/stream'))).toBe(
      true,
    );
  });

  it('shows 2 the moment the operator sends 2, pushed by web hook -> relay -> SSE', async () => {
    server.emulator.operatorSends(server.website.websiteId, server.sessionId, 2);
    await waitForText(badge(), '2');
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: `${resultsDir}/react-relay-badge.png`, fullPage: true });
  });

  it('hides the badge once the visitor has read them', async () => {
    server.emulator.visitorReads(server.website.websiteId, server.sessionId);
    await badge().waitFor({ state: 'detached', timeout });
  });

  it('keeps the last count when Crisp answers 500: the relay serves what it knows', async () => {
    server.emulator.operatorSends(server.website.websiteId, server.sessionId, 1);
    await waitForText(badge(), '1');
    const failing = server.emulator.fault({ type: 'server-error' }, { times: 1 });
    server.emulator.operatorSends(server.website.websiteId, server.sessionId, 1);
    await expect
      .poll(() => server.emulator.requestCount({ status: 500 }), { timeout })
      .toBeGreaterThanOrEqual(1);
    expect(await badge().textContent()).toBe('1');
    await waitForText(status(), 'ready');
    failing.clear();
  });

  it('never lets the key reach the page', async () => {
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies) expect(body).not.toContain(server.website.key);
    expect(await page.content()).not.toContain(server.website.key);
    const config = await page.evaluate(() =>
      fetch('/config.json').then((response) => response.json()),
    );
    expect(config).not.toHaveProperty('key');
    expect(JSON.stringify(config)).not.toContain(server.website.key);
    expect(pageErrors).toEqual([]);
  });

  it('costs Crisp one read per chat event, not one per poll', () => {
    // A cold read, then one re-read per web hook (2 sends, 1 read, 2 sends).
    expect(server.emulator.requestCount({ method: 'GET' })).toBeLessThanOrEqual(1 + 5);
  });
});
