import { mkdirSync } from 'node:fs';
import { type AppServer, launchChromium, watchPageProblems } from '@crisp-unread/example-kit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultsDir, startNextApp } from './app';

let app: AppServer;
let browser: Browser;
let page: Page;
let problems: string[];
/** Development hints of the library: a production build prints none. */
const libraryWarnings: string[] = [];

beforeAll(async () => {
  app = await startNextApp();
  browser = await launchChromium();
  page = await browser.newPage();
  problems = watchPageProblems(page);
  page.on('console', (message) => {
    if (message.text().includes('crisp-unread')) libraryWarnings.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const badge = () => page.getByTestId('badge');
const status = () => page.getByTestId('status');
const lastMessage = () => page.getByTestId('last-message');
const hasText = (text: string) => ({ hasText: new RegExp(`^${text}$`) });
const operatorSends = (count: number) =>
  page.evaluate((n) => {
    (
      window as unknown as { __fakeCrisp: { operatorSends(n: number): void } }
    ).__fakeCrisp.operatorSends(n);
  }, count);

describe('the Next.js example on the chatbox source (crisp-sdk-web), in Chromium', () => {
  it('loads the chatbox through crisp-sdk-web and counts 0 once its session has loaded', async () => {
    await page.goto(`${app.url}/chatbox`);
    await status().filter(hasText('ready')).waitFor({ timeout: 10_000 });
    expect(await badge().count()).toBe(0);
    const sessionId = await page.evaluate(() =>
      (window as unknown as { $crisp: { get(key: string): unknown } }).$crisp.get(
        'session:identifier',
      ),
    );
    expect(sessionId).toBe(app.sessionId);
  });

  it("counts the operator's messages and still runs the app's own onMessageReceived", async () => {
    await operatorSends(2);
    await badge().filter(hasText('2')).waitFor({ timeout: 5000 });
    await lastMessage().filter(hasText('The operator said: Hi')).waitFor({ timeout: 5000 });
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: `${resultsDir}/next-chatbox.png`, fullPage: true });
  });

  it('hides the badge when the button opens the chat through crisp-sdk-web', async () => {
    await page.getByRole('button', { name: /^Messages/ }).click();
    await badge().waitFor({ state: 'detached', timeout: 5000 });
  });

  it('made no REST request, and had no hydration warning, no console error and no request off 127.0.0.1', () => {
    expect(app.emulator.requestCount()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('printed no development hint of the library (a production build)', () => {
    expect(libraryWarnings).toEqual([]);
  });
});
