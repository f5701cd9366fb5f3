import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ExampleServer, launchChromium, startExampleServer } from '@crisp-unread/example-kit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const distDir = fileURLToPath(new URL('../dist', import.meta.url));
const resultsDir = fileURLToPath(new URL('../test-results', import.meta.url));
const timeout = 5000;

let server: ExampleServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  server = await startExampleServer({ distDir, pollIntervalMs: 500 });
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${server.url}/?source=chatbox`);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const badge = () => page.getByTestId('badge');
const status = () => page.getByTestId('status');
const fake = (action: 'operatorSends' | 'openChat' | 'closeChat', count?: number) =>
  page.evaluate(
    ([name, n]) => {
      const controls = (window as unknown as { __fakeCrisp: Record<string, (n?: number) => void> })
        .__fakeCrisp;
      controls[name as string]!(n as number | undefined);
    },
    [action, count] as const,
  );

async function waitForText(locator: ReturnType<Page['getByTestId']>, text: string) {
  await locator.filter({ hasText: new RegExp(`^${text}$`) }).waitFor({ timeout });
}

describe('the React example on the chatbox source (?source=chatbox) in Chromium', () => {
  it('counts nothing until the chatbox session has loaded, then 0', async () => {
    await waitForText(status(), 'ready');
    expect(await badge().count()).toBe(0);
    const sessionId = await page.evaluate(() =>
      (window as unknown as { $crisp: { get(key: string): unknown } }).$crisp.get(
        'session:identifier',
      ),
    );
    expect(sessionId).toBe(server.sessionId);
  });

  it('follows the operator messages the chatbox receives', async () => {
    await fake('operatorSends', 1);
    await waitForText(badge(), '1');
    await fake('operatorSends', 1);
    await waitForText(badge(), '2');
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: `${resultsDir}/react-chatbox-badge.png`, fullPage: true });
  });

  it('hides the badge when the visitor opens the chat', async () => {
    await fake('openChat');
    await badge().waitFor({ state: 'detached', timeout });
    await fake('closeChat');
    await fake('operatorSends', 3);
    await waitForText(badge(), '3');
  });

  it('marks messages read through the chatbox when the button is clicked', async () => {
    await page.getByRole('button', { name: /^Messages/ }).click();
    await badge().waitFor({ state: 'detached', timeout });
    const actions = await page.evaluate(
      () => (window as unknown as { __fakeCrisp: { actions: unknown[][] } }).__fakeCrisp.actions,
    );
    expect(actions).toContainEqual(['do', 'message:read']);
  });

  it('made no REST request at all, and threw nothing', () => {
    expect(server.emulator.requestCount()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
