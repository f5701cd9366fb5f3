// Measures the relay's memory: bytes per cached count in memoryStore, and bytes per open SSE
// stream with real connections on loopback (the relay in a child process, the Crisp emulator and
// the clients in this one). Run after `pnpm build`: node --expose-gc scripts/measureMemory.mjs
import { fork } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

const streams = Number(process.env.STREAMS ?? 2000);
const entries = Number(process.env.ENTRIES ?? 100_000);

if (process.argv[2] === 'relay') {
  const { createUnreadRelay } = await import('../dist/index.js');
  const { serveUnreadRelay } = await import('../dist/node.js');
  const relay = createUnreadRelay({
    ...JSON.parse(process.env.REST_OPTIONS),
    webhookSecret: 'measure-memory-webhook-secret',
    rateLimit: false,
    firstReadLimit: false,
    maxStreamsPerClient: 1_000_000,
    dailyBudget: 1_000_000,
    log: false,
  });
  const served = await serveUnreadRelay(relay, { port: 0 });
  process.on('message', (message) => {
    if (message === 'measure') {
      globalThis.gc();
      globalThis.gc();
      const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
      process.send({ heapUsed, rss, external, arrayBuffers, streams: relay.stats().streams });
    } else if (message === 'close') {
      served.close().then(() => process.exit(0));
    }
  });
  process.send({ url: served.url });
} else {
  await measureEntries();
  await measureStreams();
}

/** Bytes of heap per cached count (and the web hook mark a derived count also writes). */
async function measureEntries() {
  const { memoryStore } = await import('../dist/index.js');
  const store = memoryStore({ maxEntries: entries });
  const now = Date.now();
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < entries; i++) {
    // The id as a request brings it: a fresh string the store's map then holds.
    const sessionId = `session_${crypto.randomUUID()}`;
    const at = now + i;
    await store.setCount(sessionId, { count: i % 7, readAt: at, changedAt: at }, 90 * 86_400_000);
  }
  globalThis.gc();
  const after = process.memoryUsage().heapUsed;
  // Still in use after the measure, so that the collector cannot take the store before it.
  if ((await store.getCount('session_00000000-0000-0000-0000-000000000000')) !== undefined) {
    throw new Error('unexpected entry');
  }
  console.log(
    `memoryStore: ${entries} cached counts, ${((after - before) / entries).toFixed(0)} bytes of heap per entry (its id included)`,
  );
}

async function measureStreams() {
  const { startCrispEmulator } = await import('@crisp-unread/testing');
  const emulator = await startCrispEmulator({ dailyQuota: 1_000_000 });
  const website = emulator.createWebsite();
  const sessions = Array.from({ length: streams + 100 }, () =>
    emulator.createSession(website.websiteId, { unread: 1 }),
  );
  const child = fork(fileURLToPath(import.meta.url), ['relay'], {
    execArgv: ['--expose-gc'],
    env: { ...process.env, REST_OPTIONS: JSON.stringify(emulator.restOptions(website)) },
  });
  const next = () => new Promise((resolve) => child.once('message', resolve));
  const { url } = await next();
  const measure = async () => {
    child.send('measure');
    return next();
  };
  const open = [];
  const openStream = (sessionId) =>
    new Promise((resolve, reject) => {
      const req = request(`${url}/sessions/${sessionId}/unread/stream`, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          if (chunk.includes('event: count')) resolve();
        });
        res.on('error', () => undefined);
      });
      req.on('error', reject);
      req.end();
      open.push(req);
    });
  const openMany = async (list) => {
    for (let i = 0; i < list.length; i += 100)
      await Promise.all(list.slice(i, i + 100).map(openStream));
  };
  // Warm: 100 streams, so that every module and pool is in place before the baseline.
  await openMany(sessions.slice(0, 100));
  const base = await measure();
  await openMany(sessions.slice(100));
  const loaded = await measure();
  const per = (key) => ((loaded[key] - base[key]) / streams).toFixed(0);
  console.log(
    `relay with ${loaded.streams} SSE streams on loopback (one session each): ${per('heapUsed')} bytes of heap and ${per('rss')} bytes of RSS per stream`,
  );
  for (const req of open) req.destroy();
  child.send('close');
  await new Promise((resolve) => child.once('exit', resolve));
  await emulator.close();
}
