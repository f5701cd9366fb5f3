// In real Chromium: a page using the official `crisp-sdk-web` (which injects Crisp's script, here
// the project's fake chatbox served on 127.0.0.1) registers its own chatbox handlers before and
// after a store on the chatbox starts. The app's handlers and the store must both keep working.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { fakeCrispScript } from '@crisp-unread/testing';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const sessionId = 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881';
const timeout = 5000;

/** The page's script: crisp-sdk-web and this package's source, bundled as an app would. */
async function bundle(): Promise<string> {
  const result = await build({
    stdin: {
      contents: [
        "import { Crisp } from 'crisp-sdk-web';",
        "import { createUnreadStore, crispChatbox } from '../index';",
        'Object.assign(window, { Crisp, createUnreadStore, crispChatbox });',
      ].join('\n'),
      resolveDir: fileURLToPath(new URL('.', import.meta.url)),
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    define: { 'process.env.NODE_ENV': '"development"' },
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

let server: Server;
let origin: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const requests: string[] = [];

beforeAll(async () => {
  const files: Record<string, [type: string, body: string]> = {
    '/': ['text/html', '<!doctype html><html><head></head><body><script src="/app.js"></script>'],
    '/app.js': ['text/javascript', await bundle()],
    // Crisp's script, as crisp-sdk-web injects it: it loads at once with the session.
    '/l.js': ['text/javascript', fakeCrispScript({ sessionId, loadDelayMs: 0 })],
  };
  server = createServer((request, response) => {
    const file = files[request.url ?? ''];
    response.writeHead(file ? 200 : 404, { 'content-type': file?.[0] ?? 'text/plain' });
    response.end(file?.[1] ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`No Chromium at ${executablePath}: install it or set CHROMIUM_PATH.`);
  }
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
  page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(origin);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

interface PageGlobals {
  Crisp: typeof import('crisp-sdk-web').Crisp;
  createUnreadStore: typeof import('../index').createUnreadStore;
  crispChatbox: typeof import('../index').crispChatbox;
  $crisp: { push(...commands: unknown[]): unknown } | unknown[];
  __fakeCrisp: { operatorSends(count: number): void; openChat(): void };
  store: import('../index').UnreadStore;
  calls: Record<string, number>;
}

/** The store's count and status, and how often each of the app's handlers ran. */
const look = () =>
  page.evaluate(() => {
    const { store, calls } = window as unknown as PageGlobals;
    const { count, status } = store.getSnapshot();
    return { count, status, calls: { ...calls } };
  });

describe('crisp-sdk-web beside a chatbox store, in Chromium', () => {
  it('keeps the handlers the app registered before the store started and Crisp loaded', async () => {
    await page.evaluate(() => {
      const app = window as unknown as PageGlobals;
      app.calls = { snippet: 0, before: 0, after: 0 };
      app.Crisp.configure('7a1f5a3e-0000-4000-8000-000000000001', {
        clientUrl: '/l.js',
        autoload: false,
      });
      // Crisp's snippet (`$crisp = []` and a handler), and crisp-sdk-web's, both queued before
      // anything else runs.
      app.$crisp = [];
      app.$crisp.push(['on', 'chat:opened', () => app.calls.snippet!++]);
      app.Crisp.message.onMessageReceived(() => app.calls.before!++);
      app.store = app.createUnreadStore({ source: app.crispChatbox() });
      app.store.subscribe(() => {});
      // crisp-sdk-web injects Crisp's script now.
      app.Crisp.load();
    });
    await page.waitForFunction(
      () => (window as unknown as PageGlobals).store.getSnapshot().status === 'ready',
      undefined,
      { timeout },
    );
    await page.evaluate(() => (window as unknown as PageGlobals).__fakeCrisp.operatorSends(2));
    expect(await look()).toEqual({
      count: 2,
      status: 'ready',
      calls: { snippet: 0, before: 2, after: 0 },
    });
  });

  it('keeps a handler registered after the store started and Crisp loaded', async () => {
    await page.evaluate(() => {
      const app = window as unknown as PageGlobals;
      app.Crisp.message.onMessageReceived(() => app.calls.after!++);
      app.__fakeCrisp.operatorSends(1);
    });
    // crisp-sdk-web replaced its handler, as Crisp keeps one: the first one no longer runs.
    expect(await look()).toEqual({
      count: 3,
      status: 'ready',
      calls: { snippet: 0, before: 2, after: 1 },
    });
    await page.evaluate(() => (window as unknown as PageGlobals).__fakeCrisp.openChat());
    expect(await look()).toEqual({
      count: 0,
      status: 'ready',
      calls: { snippet: 1, before: 2, after: 1 },
    });
  });

  it('threw nothing and asked nothing but this page’s server', () => {
    expect(pageErrors).toEqual([]);
    expect(requests.every((url) => url.startsWith(`${origin}/`))).toBe(true);
    expect(requests).toContain(`${origin}/l.js`);
  });
});
