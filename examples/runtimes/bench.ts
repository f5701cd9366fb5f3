// `pnpm --filter @crisp-unread/example-runtimes bench`: per runtime, the cold start (start to the
// first 200 on /healthz, median of 3) and hook → stream latency (the emulator's signed web hook to
// the relay in the runtime, re-read, pushed over SSE; 20 hooks, p50/p95). Reported, never asserted;
// written to results.md beside this file.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { startCrispEmulator } from '@crisp-unread/testing';
import { visitor } from './e2e/client';
import { type Runtime, runtimes, versions } from './e2e/runtimes';

const starts = 3;
const hooks = 20;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

async function measure(runtime: Runtime) {
  const emulator = await startCrispEmulator();
  try {
    const website = emulator.createWebsite();
    const secret = randomBytes(24).toString('hex');
    const env = {
      CRISP_WEBSITE_ID: website.websiteId,
      CRISP_IDENTIFIER: website.identifier,
      CRISP_KEY: website.key,
      CRISP_API_URL: emulator.url,
      CRISP_WEBHOOK_SECRET: secret,
    };
    const coldStarts: number[] = [];
    for (let start = 1; start < starts; start += 1) {
      const relay = await runtime.start(env);
      coldStarts.push(relay.coldStartMs);
      await relay.close();
    }
    const relay = await runtime.start(env);
    coldStarts.push(relay.coldStartMs);
    try {
      emulator.setWebhook({ url: `${relay.url}/webhooks/crisp`, secret });
      const sessionId = emulator.createSession(website.websiteId, { unread: 0 });
      const stream = await visitor('127.0.0.2').stream(
        `${relay.url}/sessions/${sessionId}/unread/stream`,
      );
      const latencies: number[] = [];
      try {
        await stream.next();
        for (let hook = 1; hook <= hooks; hook += 1) {
          const sentAt = performance.now();
          emulator.operatorSends(website.websiteId, sessionId, 1);
          const event = await stream.next(5000);
          if (event.count !== hook) throw new Error(`expected ${hook}, got ${event.count}`);
          latencies.push(performance.now() - sentAt);
        }
      } finally {
        stream.close();
      }
      return {
        coldStartMs: percentile(coldStarts, 50),
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
      };
    } finally {
      await relay.close();
    }
  } finally {
    await emulator.close();
  }
}

const ms = (value: number) => `${Math.round(value)} ms`;
const version = versions();
const rows = [
  '| runtime | cold start (median of 3) | hook → stream p50 | p95 |',
  '| --- | --- | --- | --- |',
];
for (const runtime of runtimes) {
  try {
    const figures = await measure(runtime);
    rows.push(
      `| ${runtime.name} ${version[runtime.name]} | ${ms(figures.coldStartMs)} | ${ms(figures.p50)} | ${ms(figures.p95)} |`,
    );
  } catch (error) {
    rows.push(
      `| ${runtime.name} ${version[runtime.name]} | not measured: ${(error as Error).message.split('\n')[0]} | | |`,
    );
  }
  console.log(rows.at(-1));
}
const table = `${rows.join('\n')}\n\nNode ${process.versions.node}, ${hooks} hooks per runtime, loopback, ${new Date().toISOString().slice(0, 10)}.\n`;
writeFileSync(new URL('./results.md', import.meta.url), table);
console.log(`\n${table}`);
// Something below miniflare keeps a handle after `dispose()` (the e2e runs in vitest's pool, which
// ends anyway); a script says it is done.
process.exit(0);
