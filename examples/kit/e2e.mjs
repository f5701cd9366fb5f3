// The examples' end-to-end pieces for vitest: a built example opened in Chromium beside its example
// server, and the relay scenario every browser example's badge plays the same way.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, startExampleServer, watchPageProblems } from './index.mjs';

/**
 * Starts the example server on `distDir` and a Chromium page before the tests of the enclosing
 * file (or `describe`), opens `path` unless it is `null`, and closes both after them.
 * @param {import('./e2e.d.ts').ExamplePageOptions} options
 * @returns {import('./e2e.d.ts').ExamplePage}
 */
export function openExamplePage(options) {
  const { distDir, pollIntervalMs, path = '/' } = options;
  /** @type {import('./e2e.d.ts').ExamplePage} */
  const example = {
    server: /** @type {never} */ (undefined),
    browser: /** @type {never} */ (undefined),
    page: /** @type {never} */ (undefined),
    problems: [],
    pageErrors: [],
    badge: () => example.page.getByTestId('badge'),
    status: () => example.page.getByTestId('status'),
    waitForText: (read, expected) =>
      expect.poll(read, { timeout: 10_000, interval: 50 }).toBe(expected),
  };
  beforeAll(async () => {
    example.server = await startExampleServer({ distDir, pollIntervalMs });
    example.browser = await launchChromium();
    example.page = await example.browser.newPage({ viewport: { width: 640, height: 420 } });
    example.problems = watchPageProblems(example.page);
    example.page.on('pageerror', (error) => example.pageErrors.push(error.message));
    if (path !== null) await example.page.goto(`${example.server.url}${path}`);
  });
  afterAll(async () => {
    await example.browser?.close();
    await example.server?.close();
  });
  return example;
}

/**
 * The badge on the relay (the page's default source): ready with no badge, an operator's message
 * pushed by web hook -> relay -> SSE, the visitor's read, the page's own emulator buttons, no key
 * in the page, and Crisp read once per chat event.
 * @param {string} title
 * @param {import('./e2e.d.ts').RelayBadgeOptions} options
 */
export function describeRelayBadge(title, options) {
  describe(title, () => {
    // Pushes need no polling: a long interval shows the count moves by web hook -> relay -> SSE.
    const example = openExamplePage({ distDir: options.distDir, pollIntervalMs: 60_000 });
    const { badge, status, waitForText } = example;

    it(`shows the store's status through ${options.statusThrough} and no badge at 0`, async () => {
      const { page, server } = example;
      await waitForText(() => status().textContent(), 'ready');
      expect(await badge().count()).toBe(0);
      expect(await page.getByTestId('source-note').textContent()).toContain(
        'the page holds no key',
      );
      expect(server.relayRequests.some((request) => request.path.endsWith('/unread/stream'))).toBe(
        true,
      );
      await options.whenReady?.(page);
    });

    it(`moves the badge (${options.badgeThrough}) the moment the operator sends, pushed by the relay`, async () => {
      const { page, server } = example;
      server.emulator.operatorSends(server.website.websiteId, server.sessionId, 2);
      await waitForText(() => badge().textContent(), '2');
      expect(await page.getByRole('button', { name: 'Messages, 2 unread' }).count()).toBe(1);
      await mkdir(dirname(options.screenshot), { recursive: true });
      await page.screenshot({ path: options.screenshot });
    });

    it('hides the badge once the visitor has read them', async () => {
      const { server } = example;
      server.emulator.visitorReads(server.website.websiteId, server.sessionId);
      await expect.poll(() => badge().count(), { timeout: 10_000 }).toBe(0);
      expect(await status().textContent()).toBe('ready');
    });

    it("follows what the page's own emulator buttons do", async () => {
      const { page, server } = example;
      await page.getByRole('button', { name: 'Operator sends a message' }).click();
      await waitForText(() => badge().textContent(), '1');
      await page.getByRole('button', { name: 'Visitor reads' }).click();
      await expect.poll(() => badge().count(), { timeout: 10_000 }).toBe(0);
      expect(server.emulator.unreadOf(server.website.websiteId, server.sessionId)).toBe(0);
    });

    it('kept the key off the page, and the page logged no error nor asked anywhere but 127.0.0.1', async () => {
      const { page, server } = example;
      const config = await page.evaluate(() =>
        fetch('/config.json').then((response) => response.json()),
      );
      expect(JSON.stringify(config)).not.toContain(server.website.key);
      expect(await page.content()).not.toContain(server.website.key);
      expect(example.problems).toEqual([]);
    });

    it('costs Crisp one read per chat event, not one per poll', () => {
      // A cold read, then at most one re-read per web hook (2 sends, a read, a send, a read).
      expect(example.server.emulator.requestCount({ method: 'GET' })).toBeLessThanOrEqual(1 + 5);
    });
  });
}
