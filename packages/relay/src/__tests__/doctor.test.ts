import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CrispEmulator,
  type EmulatedWebsite,
  startCrispEmulator,
} from '@crisp-unread/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctor } from '../doctor';
import { freePort, startTestRedis } from './redisServer';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const secret = 'doctor-test-webhook-secret';
const token = 'c0ffee00c0ffee00c0ffee00c0ffee00';
let emulator: CrispEmulator;
let website: EmulatedWebsite;

beforeAll(async () => {
  emulator = await startCrispEmulator();
  website = emulator.createWebsite();
});

afterAll(async () => {
  await emulator?.close();
});

function env(overrides: Record<string, string | undefined> = {}, site = website) {
  return {
    CRISP_WEBSITE_ID: site.websiteId,
    CRISP_IDENTIFIER: site.identifier,
    CRISP_KEY: site.key,
    CRISP_TIER: site.tier,
    CRISP_API_URL: emulator.url,
    CRISP_WEBHOOK_SECRET: secret,
    RELAY_PUBLIC_URL: 'https://shop.example/api/crisp-unread',
    ...overrides,
  };
}

async function run(environment: Record<string, string | undefined>) {
  const lines: string[] = [];
  const code = await doctor(environment, {
    out: (line) => lines.push(line),
    pingRedis: async () => 'no answer in 3 s',
  });
  const text = lines.join('\n');
  for (const hidden of [website.key, secret, token, 'hunter2']) expect(text).not.toContain(hidden);
  return { code, text };
}

describe('crisp-unread-relay doctor', () => {
  it('passes a good setup (exit 0): a random session answers 404 session_not_found', async () => {
    const { code, text } = await run(env());
    expect(code).toBe(0);
    expect(text).toMatch(/ok +Crisp key, tier and plugin subscription: .*session_not_found/);
    expect(text).toContain('hook URL: https://shop.example/api/crisp-unread/webhooks/crisp');
    expect(text).toMatch(/all checks passed$/);
  });

  it('reads CRISP_SESSION_ID when given', async () => {
    const sessionId = emulator.createSession(website.websiteId, { unread: 4 });
    const { code, text } = await run(env({ CRISP_SESSION_ID: sessionId }));
    expect(code).toBe(0);
    expect(text).toContain('read CRISP_SESSION_ID: 4 unread');
  });

  it('fails a wrong key (exit 1) with its fix', async () => {
    const { code, text } = await run(env({ CRISP_KEY: 'not-the-right-key' }));
    expect(code).toBe(1);
    expect(text).toMatch(/FAIL {2}Crisp key.*refused the key \(401\)/);
    expect(text).toMatch(/fix: check CRISP_IDENTIFIER and CRISP_KEY/);
    expect(text).not.toContain('not-the-right-key');
  });

  it('fails a missing plugin subscription (exit 1) with its fix', async () => {
    const unsubscribed = emulator.createWebsite();
    emulator.setSubscribed(unsubscribed.websiteId, false);
    const { code, text } = await run(env({}, unsubscribed));
    expect(code).toBe(1);
    expect(text).toMatch(/FAIL {2}.*not_subscribed/);
    expect(text).toMatch(/fix: install \(subscribe\) the plugin/);
  });

  it('fails a wrong tier, a website tier without a hook token, a bad variable and an unreachable Redis', async () => {
    const wrongTier = await run(env({ CRISP_TIER: 'website' }));
    expect(wrongTier.code).toBe(1);
    expect(wrongTier.text).toMatch(/FAIL {2}Crisp key.*\(403\)/);
    expect(wrongTier.text).toMatch(/FAIL {2}Website Hooks: CRISP_TIER is website/);

    const websiteToken = emulator.createWebsite({ tier: 'website' });
    const withToken = await run(
      env({ CRISP_WEBHOOK_SECRET: undefined, CRISP_WEBHOOK_TOKEN: token }, websiteToken),
    );
    expect(withToken.code).toBe(0);
    expect(withToken.text).toContain(
      'URL: https://shop.example/api/crisp-unread/webhooks/crisp?token=<CRISP_WEBHOOK_TOKEN>',
    );

    const missing = await run(env({ CRISP_KEY: '' }));
    expect(missing.code).toBe(1);
    expect(missing.text).toMatch(/FAIL {2}configuration: .*`key` is required/);

    const redis = await run(env({ REDIS_URL: 'redis://:hunter2@127.0.0.1:1' }));
    expect(redis.code).toBe(1);
    expect(redis.text).toMatch(/FAIL {2}Redis: redis:\/\/127\.0\.0\.1:1: no answer/);
  });

  it('passes Redis when a real one answers PING', async () => {
    const redis = await startTestRedis();
    try {
      const lines: string[] = [];
      const code = await doctor(env({ REDIS_URL: redis.url }), { out: (l) => lines.push(l) });
      expect(code).toBe(0);
      expect(lines.join('\n')).toMatch(/ok +Redis: rediss?:\/\/\S+ answers PING/);
    } finally {
      await redis.close();
    }
  }, 20_000);

  it('runs as `crisp-unread-relay doctor` with the exit code of its checks, PINGing a real port', async () => {
    const port = await freePort();
    const runBin = (environment: Record<string, string | undefined>) =>
      new Promise<{ code: number | null; out: string }>((done) => {
        const child = spawn(
          process.execPath,
          [resolve(packageRoot, 'bin/crisp-unread-relay.mjs'), 'doctor'],
          { env: { PATH: process.env.PATH, ...environment } as NodeJS.ProcessEnv },
        );
        let out = '';
        child.stdout.on('data', (chunk) => {
          out += chunk;
        });
        child.on('exit', (code) => done({ code, out }));
      });
    const good = await runBin(env());
    expect(good.code).toBe(0);
    const noRedis = await runBin(env({ REDIS_URL: `redis://:hunter2@127.0.0.1:${port}` }));
    expect(noRedis.code).toBe(1);
    expect(noRedis.out).toMatch(/FAIL {2}Redis/);
    expect(noRedis.out).not.toContain('hunter2');
    expect(good.out + noRedis.out).not.toContain(website.key);
  }, 20_000);
});
