import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openExamplePage } from '@crisp-unread/example-kit/e2e';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const screenshots = resolve(root, 'test-results');

const example = openExamplePage({
  distDir: resolve(root, 'dist'),
  pollIntervalMs: 250,
  path: '/?source=rest',
});
const { badge, status, waitForText } = example;

describe('the Vue badge example on the direct REST source (?source=rest) in Chromium', () => {
  it('follows the emulator: 2 unread, read, then a 500 that keeps the last count', async () => {
    const { page, server } = example;
    const { emulator, website, sessionId } = server;
    await waitForText(() => status().textContent(), 'ready');
    expect(await badge().count()).toBe(0);
    await expect
      .poll(() => page.getByTestId('source-note').textContent())
      .toMatch(/throwaway key.*dangerouslyAllowBrowser.*relay/s);

    emulator.operatorSends(website.websiteId, sessionId, 2);
    await waitForText(() => badge().textContent(), '2');
    expect(await page.getByRole('button', { name: 'Messages, 2 unread' }).count()).toBe(1);
    await mkdir(screenshots, { recursive: true });
    await page.screenshot({ path: resolve(screenshots, 'vue-badge.png') });

    emulator.visitorReads(website.websiteId, sessionId);
    await expect.poll(() => badge().count(), { timeout: 10_000 }).toBe(0);
    expect(await status().textContent()).toBe('ready');

    emulator.operatorSends(website.websiteId, sessionId, 3);
    await waitForText(() => badge().textContent(), '3');
    emulator.fault({ type: 'server-error' });
    await waitForText(() => status().textContent(), 'error: server');
    expect(await badge().textContent()).toBe('3');
    await page.screenshot({ path: resolve(screenshots, 'vue-badge-error.png') });

    emulator.clearFaults();
    await waitForText(() => status().textContent(), 'ready');
    expect(await badge().textContent()).toBe('3');
    expect(example.pageErrors).toEqual([]);
  });

  it('marks the messages as read when the button is clicked, and drives the emulator from the page', async () => {
    const { page, server } = example;
    const { emulator, website, sessionId } = server;
    await page.getByRole('button', { name: 'Messages, 3 unread' }).click();
    await expect.poll(() => badge().count(), { timeout: 10_000 }).toBe(0);
    expect(emulator.unreadOf(website.websiteId, sessionId)).toBe(0);

    await page.getByRole('button', { name: 'Operator sends a message' }).click();
    await waitForText(() => badge().textContent(), '1');
    expect(emulator.unreadOf(website.websiteId, sessionId)).toBe(1);
  });

  it('polls at the set interval and changes nothing on the page while the count stays', async () => {
    const { page, server } = example;
    const { emulator, website, sessionId } = server;
    await page.evaluate(() => {
      const target = document.querySelector('.chat')!;
      const seen = { mutations: 0 };
      (window as unknown as { seen: typeof seen }).seen = seen;
      new MutationObserver((records) => {
        seen.mutations += records.length;
      }).observe(target, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    emulator.clearRequests();
    await new Promise((done) => setTimeout(done, 1100));
    const reads = emulator.requestCount({ websiteId: website.websiteId, sessionId });
    // 250 ms polls for ~1.1 s: about 4 reads, far from a loop, and not one DOM change.
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(reads).toBeLessThanOrEqual(6);
    expect(
      await page.evaluate(() => (window as unknown as { seen: { mutations: number } }).seen),
    ).toEqual({ mutations: 0 });
  });
});
