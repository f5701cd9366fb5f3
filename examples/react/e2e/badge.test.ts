import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ExampleServer, launchChromium, startExampleServer } from '@crisp-unread/example-kit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const distDir = fileURLToPath(new URL('../dist', import.meta.url));
const resultsDir = fileURLToPath(new URL('../test-results', import.meta.url));
const pollIntervalMs = 500;
/** Several poll intervals: long enough for a read, short enough to fail fast. */
const timeout = pollIntervalMs * 10;

let server: ExampleServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
/** When the page itself asked the emulator for the conversation (the relay's reads are not here). */
const pageReads: number[] = [];

beforeAll(async () => {
  server = await startExampleServer({ distDir, pollIntervalMs });
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('request', (request) => {
    if (request.method() === 'GET' && request.url().includes('/conversation/'))
      pageReads.push(Date.now());
  });
  await page.goto(`${server.url}/?source=rest`);
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

describe('the React example on the direct REST source (?source=rest) in Chromium', () => {
  it('says it uses the emulator key only until the relay exists', async () => {
    await expect(page.getByTestId('source-note').textContent()).resolves.toMatch(
      /throwaway key.*dangerouslyAllowBrowser.*relay/s,
    );
  });

  it('shows no badge while the visitor has no unread messages', async () => {
    await waitForText(status(), 'ready');
    expect(await badge().count()).toBe(0);
  });

  it('shows 2 after the operator sends 2 messages', async () => {
    server.emulator.operatorSends(server.website.websiteId, server.sessionId, 2);
    await waitForText(badge(), '2');
    await waitForText(status(), 'ready');
  });

  it('hides the badge once the visitor has read them', async () => {
    server.emulator.visitorReads(server.website.websiteId, server.sessionId);
    await badge().waitFor({ state: 'detached', timeout });
    await waitForText(status(), 'ready');
  });

  it('keeps the last count and shows the error when the API answers 500', async () => {
    server.emulator.operatorSends(server.website.websiteId, server.sessionId, 1);
    await waitForText(badge(), '1');
    const fault = server.emulator.fault({ type: 'server-error' });
    server.emulator.operatorSends(server.website.websiteId, server.sessionId, 2);
    await waitForText(status(), 'error: server');
    expect(await badge().textContent()).toBe('1');

    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: `${resultsDir}/react-badge.png`, fullPage: true });

    fault.clear();
    await waitForText(status(), 'ready');
    await waitForText(badge(), '3');
  });

  it('marks the messages as read when the button is clicked', async () => {
    await page.getByRole('button', { name: /^Messages/ }).click();
    await badge().waitFor({ state: 'detached', timeout });
    expect(server.emulator.unreadOf(server.website.websiteId, server.sessionId)).toBe(0);
  });

  it("drives the emulator from the page's own buttons", async () => {
    await page.getByRole('button', { name: 'Operator sends a message' }).click();
    await waitForText(badge(), '1');
  });

  it('made one first request from a StrictMode page, and threw nothing', () => {
    // StrictMode mounts twice; without the store's grace delay both mounts would read at once.
    const atStart = pageReads.filter((at) => at - pageReads[0]! < pollIntervalMs / 2);
    expect(atStart).toHaveLength(1);
    expect(pageErrors).toEqual([]);
  });
});
