import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type AppServer,
  launchChromium,
  startAppServer,
  watchPageProblems,
} from '@crisp-unread/example-kit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const resultsDir = fileURLToPath(new URL('../test-results', import.meta.url));

let app: AppServer;
let browser: Browser;
let page: Page;
let problems: string[];

beforeAll(async () => {
  // Nitro's Node server from .output, which `nuxt build` (the `build` task) left.
  app = await startAppServer({
    command: process.execPath,
    args: ['.output/server/index.mjs'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    webhookPath: '/api/crisp-unread/webhooks/crisp',
  });
  browser = await launchChromium();
  page = await browser.newPage();
  problems = watchPageProblems(page);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const badge = () => page.getByTestId('badge');
const status = () => page.getByTestId('status');
const hasText = (text: string) => ({ hasText: new RegExp(`^${text}$`) });

describe('the Nuxt example on the relay server route, after nuxt build, in Chromium', () => {
  it('server-renders the idle state: no count, no request', async () => {
    const before = app.emulator.requestCount();
    const html = await fetch(`${app.url}/?session=${app.sessionId}`).then((r) => r.text());
    expect(html).toMatch(/data-testid="status" role="status">idle<\/p>/);
    expect(html).not.toContain('data-testid="badge"');
    expect(app.emulator.requestCount()).toBe(before);
  });

  it('shows the count the relay route reads from Crisp', async () => {
    app.emulator.operatorSends(app.website.websiteId, app.sessionId, 1);
    await page.goto(`${app.url}/?session=${app.sessionId}`);
    await status().filter(hasText('ready')).waitFor({ timeout: 10_000 });
    await badge().filter(hasText('1')).waitFor({ timeout: 10_000 });
  });

  it('moves the badge within a second of an operator message (web hook -> route -> SSE)', async () => {
    app.emulator.operatorSends(app.website.websiteId, app.sessionId, 1);
    // Well under the store's 30 s poll: only the push can bring it this soon.
    await badge().filter(hasText('2')).waitFor({ timeout: 1000 });
    const deliveries = await app.emulator.webhooksDelivered();
    expect(deliveries.at(-1)?.status).toBe(200);
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: `${resultsDir}/nuxt-relay.png`, fullPage: true });
  });

  it('had no hydration warning, no console error and no request off 127.0.0.1', () => {
    expect(problems).toEqual([]);
  });
});
