// The examples' shared kit: a server that runs the Crisp emulator beside a built example, the same
// for Vite's dev and preview servers, and a Chromium launcher for the end-to-end tests.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { createUnreadRelay } from '@crisp-unread/relay';
import { serveUnreadRelay } from '@crisp-unread/relay/node';
import { fakeCrispScript, startCrispEmulator } from '@crisp-unread/testing';

/** @typedef {import('./index.d.ts').ExampleConfig} ExampleConfig */
/** @typedef {import('./index.d.ts').ExampleEmulator} ExampleEmulator */

const DEFAULT_POLL_INTERVAL_MS = 1000;

const mimeTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * Starts a Crisp emulator with one website and one session (no unread messages yet), and a relay
 * in front of it that holds the token and gets the emulator's signed web hooks. The page's config
 * names the relay only: the key stays in this process.
 * @param {{ pollIntervalMs?: number }} [options]
 * @returns {Promise<ExampleEmulator>}
 */
export async function startExampleEmulator(options = {}) {
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const emulator = await startCrispEmulator();
  const website = emulator.createWebsite();
  const sessionId = emulator.createSession(website.websiteId);
  const webhookSecret = randomBytes(24).toString('hex');
  const relay = createUnreadRelay({
    ...emulator.restOptions(website),
    webhookSecret,
    allowedOrigins: '*',
    rateLimit: false,
    log: false,
  });
  /** @type {{ method: string; path: string; at: number }[]} */
  const relayRequests = [];
  const served = await serveUnreadRelay(
    {
      ...relay,
      fetch(request, ...rest) {
        const url = new URL(request.url);
        if (url.pathname.startsWith('/sessions/')) {
          relayRequests.push({ method: request.method, path: url.pathname, at: Date.now() });
        }
        return relay.fetch(request, ...rest);
      },
    },
    { port: 0 },
  );
  emulator.setWebhook({ url: `${served.url}/webhooks/crisp`, secret: webhookSecret });
  /** @type {ExampleConfig} */
  const config = {
    relayUrl: served.url,
    emulatorUrl: emulator.url,
    websiteId: website.websiteId,
    sessionId,
    pollIntervalMs,
  };
  return {
    emulator,
    website,
    sessionId,
    config,
    restConfig: {
      ...config,
      apiUrl: emulator.url,
      identifier: website.identifier,
      key: website.key,
    },
    relay,
    relayUrl: served.url,
    relayRequests,
    async close() {
      await served.close();
      await emulator.close();
    },
  };
}

/**
 * Serves `distDir` (a built example, SPA fallback to index.html) and `GET /config.json` on
 * 127.0.0.1, beside a fresh Crisp emulator.
 * @param {import('./index.d.ts').ExampleServerOptions} options
 * @returns {Promise<import('./index.d.ts').ExampleServer>}
 */
export async function startExampleServer(options) {
  const root = resolve(options.distDir);
  if (!existsSync(join(root, 'index.html'))) {
    throw new Error(
      `startExampleServer: ${root}/index.html does not exist; build the example first.`,
    );
  }
  const kit = await startExampleEmulator(options);
  const configMiddleware = configJson(kit);
  const server = createServer((req, res) => {
    configMiddleware(req, res, () => {
      serveStatic(root, req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  });
  await new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => done(undefined));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let closing;
  return {
    ...kit,
    url: `http://127.0.0.1:${port}`,
    close() {
      closing ??= Promise.all([
        new Promise((done) => {
          server.close(() => done(undefined));
          server.closeAllConnections();
        }),
        kit.close(),
      ]).then(() => undefined);
      return closing;
    },
  };
}

/**
 * Runs a built app's own server (`next start`, Nuxt's `.output/server/index.mjs`) on 127.0.0.1,
 * configured from the environment like in production: `CRISP_*` name a fresh Crisp emulator's
 * website, and the emulator signs its web hooks to the app's relay route (`webhookPath`).
 * `CRISP_CHATBOX_SCRIPT` names a stand-in for Crisp's chatbox loader, served here, whose session is
 * the emulator's session. Resolves once the app answers `GET /`.
 * @param {import('./index.d.ts').AppServerOptions} options
 * @returns {Promise<import('./index.d.ts').AppServer>}
 */
export async function startAppServer(options) {
  const emulator = await startCrispEmulator();
  const website = emulator.createWebsite();
  const sessionId = emulator.createSession(website.websiteId);
  const webhookSecret = randomBytes(24).toString('hex');
  const script = fakeCrispScript({ sessionId, loadDelayMs: 300 });
  const scriptServer = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/fake-crisp.js') {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': mimeTypes['.js'], 'Cache-Control': 'no-store' });
    res.end(script);
  });
  const scriptPort = await listen(scriptServer, 0);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  /** @type {string[]} */
  const output = [];
  const child = spawn(options.command, options.args ?? [], {
    cwd: options.cwd,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      NUXT_TELEMETRY_DISABLED: '1',
      HOST: '127.0.0.1',
      HOSTNAME: '127.0.0.1',
      PORT: String(port),
      CRISP_WEBSITE_ID: website.websiteId,
      CRISP_IDENTIFIER: website.identifier,
      CRISP_KEY: website.key,
      CRISP_API_URL: emulator.url,
      CRISP_WEBHOOK_SECRET: webhookSecret,
      CRISP_CHATBOX_SCRIPT: `http://127.0.0.1:${scriptPort}/fake-crisp.js`,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => output.push(String(chunk)));
  child.stderr.on('data', (chunk) => output.push(String(chunk)));
  const exited = new Promise((done) => child.once('exit', (code) => done(code)));
  let closing;
  const close = () => {
    closing ??= (async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await new Promise((done) => {
        scriptServer.close(() => done(undefined));
        scriptServer.closeAllConnections();
      });
      await emulator.close();
    })();
    return closing;
  };
  try {
    await waitUntilAnswering(url, exited, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await close();
    throw new Error(`startAppServer: ${error.message}\n${output.join('')}`);
  }
  emulator.setWebhook({ url: `${url}${options.webhookPath}`, secret: webhookSecret });
  return { url, emulator, website, sessionId, output, close };
}

/**
 * `startAppServer` for a person: prints the page's address and the curl commands that play the
 * operator and the visitor, and stops everything on Ctrl-C.
 * @param {import('./index.d.ts').AppServerOptions} options
 */
export async function runAppDemo(options) {
  const app = await startAppServer(options);
  const session = `${app.emulator.url}/_emulator/websites/${app.website.websiteId}/sessions/${app.sessionId}`;
  const log = (line) => console.log(line);
  log(`\n  The app, on the relay:  ${app.url}/?session=${app.sessionId}`);
  log(`  Crisp emulator: ${app.emulator.url} (throwaway website and key, no credentials needed)`);
  log(`  An operator sends 2 messages:  curl -X POST -d '{"count":2}' ${session}/operator-sends`);
  log(`  The visitor reads them:        curl -X POST ${session}/visitor-reads`);
  log('  Ctrl-C stops it.\n');
  const stop = () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return app;
}

/** A port free on 127.0.0.1 now: the app's server binds it next. */
async function freePort() {
  const probe = createNetServer();
  const port = await listen(probe, 0);
  await new Promise((done) => probe.close(() => done(undefined)));
  return port;
}

/**
 * @param {import('node:net').Server} server
 * @param {number} port
 * @returns {Promise<number>}
 */
function listen(server, port) {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      done(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

/**
 * Resolves once `GET url/` answers; rejects when the process exits first or after `timeoutMs`.
 * @param {string} url
 * @param {Promise<unknown>} exited
 * @param {number} timeoutMs
 */
async function waitUntilAnswering(url, exited, timeoutMs) {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (!gone && Date.now() < deadline) {
    const answered = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) }).then(
      async (response) => {
        await response.body?.cancel();
        return true;
      },
      () => false,
    );
    if (answered) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(
    gone ? 'the app exited before it answered' : `no answer from ${url} in ${timeoutMs} ms`,
  );
}

/**
 * Collects what a page should never show, as text: console errors, hydration warnings (Vue warns
 * of a mismatch, React reports it as an error), uncaught errors, and requests to anywhere but
 * 127.0.0.1.
 * @param {import('playwright-core').Page} page
 * @returns {string[]}
 */
export function watchPageProblems(page) {
  /** @type {string[]} */
  const problems = [];
  page.on('console', (message) => {
    const type = message.type();
    if (type === 'error' || (type === 'warning' && /hydrat/i.test(message.text()))) {
      problems.push(`console.${type}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('request', (request) => {
    const { protocol, hostname } = new URL(request.url());
    if (/^https?:$/.test(protocol) && hostname !== '127.0.0.1') {
      problems.push(`request off 127.0.0.1: ${request.url()}`);
    }
  });
  return problems;
}

/**
 * A Vite plugin for an example's dev and preview servers: starts a Crisp emulator with the server,
 * answers `GET /config.json`, prints how to drive the emulator, and stops it with the server.
 * @param {{ pollIntervalMs?: number }} [options]
 */
export function crispEmulatorPlugin(options = {}) {
  /** @param {import('./index.d.ts').ViteServerLike} server */
  const attach = async (server) => {
    const kit = await startExampleEmulator(options);
    server.middlewares.use(configJson(kit));
    server.httpServer?.once('close', () => void kit.close());
    const session = `${kit.emulator.url}/_emulator/websites/${kit.website.websiteId}/sessions/${kit.sessionId}`;
    const log = (line) => server.config.logger.info(line);
    log(
      `\n  Crisp emulator: ${kit.emulator.url} (throwaway website and key, no credentials needed)`,
    );
    log(`  Relay (holds the key; the page asks it): ${kit.relayUrl}`);
    log(`  An operator sends 2 messages:  curl -X POST -d '{"count":2}' ${session}/operator-sends`);
    log(`  The visitor reads them:        curl -X POST ${session}/visitor-reads\n`);
  };
  return {
    name: 'crisp-unread-example-emulator',
    configureServer: attach,
    configurePreviewServer: attach,
  };
}

/**
 * Launches Debian's Chromium through playwright-core, headless, with the flags that keep it off
 * the (closed) network. CHROMIUM_PATH overrides `/usr/bin/chromium`.
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchChromium() {
  const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(
      `launchChromium: no Chromium at ${executablePath}. Install it (apt-get install -y chromium) or set CHROMIUM_PATH.`,
    );
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({
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
}

/**
 * `GET /config.json`: what the page needs, without the key (the relay holds it);
 * `GET /config.json?source=rest`: the same plus the emulator's throwaway token, for the page's
 * explicit direct-REST mode; `GET /fake-crisp.js`: a stand-in for Crisp's chatbox loader (the
 * page's `?source=chatbox` mode), whose session is the example's session.
 * @param {ExampleEmulator} kit
 */
function configJson(kit) {
  const routes = {
    '/config.json': ['application/json', JSON.stringify(kit.config)],
    '/config.json?source=rest': ['application/json', JSON.stringify(kit.restConfig)],
    '/fake-crisp.js': [
      'text/javascript; charset=utf-8',
      fakeCrispScript({ sessionId: kit.sessionId, loadDelayMs: 300 }),
    ],
  };
  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   * @param {() => void} next
   */
  return (req, res, next) => {
    const route = req.method === 'GET' ? routes[req.url ?? ''] : undefined;
    if (!route) return next();
    res.writeHead(200, { 'Content-Type': route[0], 'Cache-Control': 'no-store' });
    res.end(route[1]);
  };
}

/**
 * @param {string} root
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 */
async function serveStatic(root, req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' });
    res.end();
    return;
  }
  let path;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
  } catch {
    res.writeHead(400);
    res.end();
    return;
  }
  let file = resolve(root, `.${path}`);
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403);
    res.end();
    return;
  }
  const found = await stat(file).catch(() => null);
  if (found?.isDirectory()) file = join(file, 'index.html');
  else if (!found) {
    // A path with an extension is a missing asset; anything else is a client-side route.
    if (extname(path)) {
      res.writeHead(404);
      res.end();
      return;
    }
    file = join(root, 'index.html');
  }
  const body = await readFile(file);
  res.writeHead(200, {
    'Content-Type': mimeTypes[extname(file)] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
