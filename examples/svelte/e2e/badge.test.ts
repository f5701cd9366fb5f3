import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ExampleServer,
  launchChromium,
  startExampleServer,
  watchPageProblems,
} from '@crisp-unread/example-kit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const screenshots = resolve(root, 'test-results');

let server: ExampleServer;
let browser: Browser;
let page: Page;
let problems: string[];

beforeAll(async () => {
  // Pushes need no polling: a long interval shows the count moves by web hook -> relay -> SSE.
  server = await startExampleServer({ distDir: resolve(root, 'dist'), pollIntervalMs: 60_000 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 640, height: 420 } });
  problems = watchPageProblems(page);
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

describe('the Svelte badge example on the relay (the default) in Chromium', () => {
  it("shows the store's status through $store and no badge at 0", async () => {
    await waitForText(() => status().textContent(), 'ready');
    expect(await badge().count()).toBe(0);
    expect(await page.getByTestId('source-note').textContent()).toContain('the page holds no key');
    expect(server.relayRequests.some((request) => request.path.endsWith('/unread/stream'))).toBe(
      true,
    );
  });

  it('moves the badge ($count on unreadCount$) the moment the operator sends, pushed by the relay', async () => {
    const { emulator, website, sessionId } = server;
    emulator.operatorSends(website.websiteId, sessionId, 2);
    await waitForText(() => badge().textContent(), '2');
    expect(await page.getByRole('button', { name: 'Messages, 2 unread' }).count()).toBe(1);
    await mkdir(screenshots, { recursive: true });
    await page.screenshot({ path: resolve(screenshots, 'svelte-relay-badge.png') });
  });

  it('hides the badge once the visitor has read them', async () => {
    const { emulator, website, sessionId } = server;
    emulator.visitorReads(website.websiteId, sessionId);
    await expect.poll(() => badge().count(), { timeout: 10_000 }).toBe(0);
    expect(await status().textContent()).toBe('ready');
  });

  it("follows what the page's own emulator buttons do", async () => {
    const { emulator, website, sessionId } = server;
    await page.getByRole('button', { name: 'Operator sends a message' }).click();
    await waitForText(() => badge().textContent(), '1');
    await page.getByRole('button', { name: 'Visitor reads' }).click();
    await expect.poll(() => badge().count(), { timeout: 10_000 }).toBe(0);
    expect(emulator.unreadOf(website.websiteId, sessionId)).toBe(0);
  });

  it('kept the key off the page, and the page logged no error nor asked anywhere but 127.0.0.1', async () => {
    const config = await page.evaluate(() =>
      fetch('/config.json').then((response) => response.json()),
    );
    expect(JSON.stringify(config)).not.toContain(server.website.key);
    expect(await page.content()).not.toContain(server.website.key);
    expect(problems).toEqual([]);
  });
});
