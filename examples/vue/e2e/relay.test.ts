import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ExampleServer, launchChromium, startExampleServer } from '@crisp-unread/example-kit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const screenshots = resolve(root, 'test-results');

let server: ExampleServer;
let browser: Browser;
let page: Page;
const pageErrors: Error[] = [];

beforeAll(async () => {
  // Pushes need no polling: a long interval shows the count moves by web hook -> relay -> SSE.
  server = await startExampleServer({ distDir: resolve(root, 'dist'), pollIntervalMs: 60_000 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 640, height: 420 } });
  page.on('pageerror', (error) => pageErrors.push(error));
  await page.goto(server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const badge = () => page.getByTestId('badge');
const status = () => page.getByTestId('status');
const waitForText = (read: () => Promise<string | null>, expected: string) =>
  expect.poll(read, { timeout: 10_000, interval: 50 }).toBe(expected);

describe('the Vue badge example on the relay (the default) in Chromium', () => {
  it('follows web hook pushes with no key in the page', async () => {
    const { emulator, website, sessionId } = server;
    await waitForText(() => status().textContent(), 'ready');
    expect(await page.getByTestId('source-note').textContent()).toContain('the page holds no key');

    emulator.operatorSends(website.websiteId, sessionId, 2);
    await waitForText(() => badge().textContent(), '2');
    await mkdir(screenshots, { recursive: true });
    await page.screenshot({ path: resolve(screenshots, 'vue-relay-badge.png') });

    emulator.visitorReads(website.websiteId, sessionId);
    await expect.poll(() => badge().count(), { timeout: 10_000 }).toBe(0);

    const config = await page.evaluate(() =>
      fetch('/config.json').then((response) => response.json()),
    );
    expect(JSON.stringify(config)).not.toContain(website.key);
    expect(await page.content()).not.toContain(website.key);
    expect(server.relayRequests.some((request) => request.path.endsWith('/unread/stream'))).toBe(
      true,
    );
    // One cold read and one re-read per web hook: Crisp calls follow chat events, not time.
    expect(emulator.requestCount({ method: 'GET' })).toBeLessThanOrEqual(3);
    expect(pageErrors).toEqual([]);
  });
});
