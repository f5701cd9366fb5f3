import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openExamplePage } from '@crisp-unread/example-kit/e2e';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';

const distDir = fileURLToPath(new URL('../dist', import.meta.url));
const resultsDir = fileURLToPath(new URL('../test-results', import.meta.url));
const timeout = 10_000;

// Pushes need no polling: a long interval shows the count moves by web hook -> relay -> SSE.
const example = openExamplePage({ distDir, pollIntervalMs: 60_000, path: null });
const { badge, status } = example;
const bodies: string[] = [];

beforeAll(async () => {
  example.page.on('response', (response) => {
    if (response.request().resourceType() !== 'eventsource') {
      void response.text().then(
        (text) => bodies.push(text),
        () => {},
      );
    }
  });
  await example.page.goto(example.server.url);
});

async function waitForText(locator: ReturnType<Page['getByTestId']>, text: string) {
  await locator.filter({ hasText: new RegExp(`^${text}$`) }).waitFor({ timeout });
}

describe('the React example on the relay (the default) in Chromium', () => {
  it('reads the count through the relay', async () => {
    const { server } = example;
    await waitForText(status(), 'ready');
    expect(await badge().count()).toBe(0);
    expect(server.relayRequests.some((request) => request.path.endsWith('/unread/stream'))).toBe(
      true,
    );
  });

  it('shows 2 the moment the operator sends 2, pushed by web hook -> relay -> SSE', async () => {
    const { page, server } = example;
    server.emulator.operatorSends(server.website.websiteId, server.sessionId, 2);
    await waitForText(badge(), '2');
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: `${resultsDir}/react-relay-badge.png`, fullPage: true });
  });

  it('hides the badge once the visitor has read them', async () => {
    const { server } = example;
    server.emulator.visitorReads(server.website.websiteId, server.sessionId);
    await badge().waitFor({ state: 'detached', timeout });
  });

  it('keeps the last count when Crisp answers 500: the relay serves what it knows', async () => {
    const { server } = example;
    server.emulator.operatorSends(server.website.websiteId, server.sessionId, 1);
    await waitForText(badge(), '1');
    const failing = server.emulator.fault({ type: 'server-error' }, { times: 1 });
    // An operator's message is taken at its hook's word; the visitor reading needs a read of Crisp.
    server.emulator.visitorReads(server.website.websiteId, server.sessionId);
    await expect
      .poll(() => server.emulator.requestCount({ status: 500 }), { timeout })
      .toBeGreaterThanOrEqual(1);
    expect(await badge().textContent()).toBe('1');
    await waitForText(status(), 'ready');
    failing.clear();
  });

  it('never lets the key reach the page', async () => {
    const { page, server } = example;
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies) expect(body).not.toContain(server.website.key);
    expect(await page.content()).not.toContain(server.website.key);
    const config = await page.evaluate(() =>
      fetch('/config.json').then((response) => response.json()),
    );
    expect(config).not.toHaveProperty('key');
    expect(JSON.stringify(config)).not.toContain(server.website.key);
    expect(example.pageErrors).toEqual([]);
  });

  it('costs Crisp one read per chat event, not one per poll', () => {
    const { server } = example;
    // A cold read, then at most one read per web hook (operators' messages need none).
    expect(server.emulator.requestCount({ method: 'GET' })).toBeLessThanOrEqual(1 + 5);
  });
});
