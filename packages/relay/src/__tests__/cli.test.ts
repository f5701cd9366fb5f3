import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type CrispEmulator,
  type EmulatedWebsite,
  startCrispEmulator,
} from '@crisp-unread/testing';
import * as ioredis from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CliOptions, cliRedisOptions, main, type RunningRelay } from '../cli';
import { freePort, startTestRedis, type TestRedis, until } from './redisServer';

const { Redis } = ioredis;
const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = resolve(here, '../..');
// With an external REDIS_URL other test files may connect to the same server meanwhile.
const ownRedis = !process.env.REDIS_URL;

let redis: TestRedis;
let inspector: InstanceType<typeof Redis>;
let emulator: CrispEmulator;

beforeAll(async () => {
  redis = await startTestRedis();
  inspector = new Redis(redis.url, { maxRetriesPerRequest: 1, connectTimeout: 1000 });
  inspector.on('error', () => undefined);
  emulator = await startCrispEmulator();
}, 30_000);

afterAll(async () => {
  inspector?.disconnect();
  await emulator?.close();
  await redis?.close();
});

/** Connections the Redis server has (the inspector is one). */
async function connections(): Promise<number> {
  const list = String(await inspector.call('CLIENT', 'LIST'));
  return list.split('\n').filter((line) => line.trim() !== '').length;
}

/** A fresh website with one session (2 unread) on the emulator. */
function site(): { website: EmulatedWebsite; sessionId: string } {
  const website = emulator.createWebsite();
  return { website, sessionId: emulator.createSession(website.websiteId, { unread: 2 }) };
}

function crispEnv(website: EmulatedWebsite, extra: Record<string, string> = {}) {
  return {
    CRISP_WEBSITE_ID: website.websiteId,
    CRISP_IDENTIFIER: website.identifier,
    CRISP_KEY: website.key,
    CRISP_TIER: website.tier,
    CRISP_API_URL: emulator.url,
    HOST: '127.0.0.1',
    PORT: '0',
    ...extra,
  };
}

/** The `redis://` URL of the test Redis with a password in it (the server has none: ioredis warns and goes on). */
function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.href;
}

/** A password that changes when URL-encoded, to catch both forms. */
const secret = 'Sup3r-s3cret/p@ss';
const secretForms = [secret, encodeURIComponent(secret), 'Sup3r-s3cret'];

/** ioredis, with every client the CLI creates recorded. */
function recordingIoredis() {
  const created: {
    url: string;
    options: Record<string, unknown>;
    client: InstanceType<typeof Redis>;
  }[] = [];
  class RecordingRedis extends Redis {
    constructor(url: string, options: Record<string, unknown>) {
      super(url, options);
      created.push({ url, options, client: this });
    }
  }
  return {
    created,
    load: async () => ({ ...ioredis, Redis: RecordingRedis, default: RecordingRedis }),
  };
}

interface Started {
  relay: RunningRelay;
  out: string[];
  logs: string[];
  get(path: string): Promise<Response>;
}

const running = new Set<RunningRelay>();

async function start(env: Record<string, string>, options: CliOptions = {}): Promise<Started> {
  const out: string[] = [];
  const logs: string[] = [];
  const relay = await main(env, {
    out: (line) => out.push(line),
    log: (line) => logs.push(line),
    signals: false,
    ...options,
  });
  running.add(relay);
  return { relay, out, logs, get: (path) => fetch(`${relay.url}${path}`) };
}

afterEach(async () => {
  await Promise.all([...running].map((relay) => relay.close()));
  running.clear();
  emulator.clearFaults();
});

const unread = (sessionId: string) => `/sessions/${sessionId}/unread`;
const health = async (started: Started) => (await started.get('/healthz')).json();

describe('CLI with REDIS_URL', () => {
  it('uses a Redis store: /healthz ok, and a count read through the CLI is stored under REDIS_PREFIX', async () => {
    const { website, sessionId } = site();
    const cli = await start(crispEnv(website, { REDIS_URL: redis.url, REDIS_PREFIX: 'cli-test' }));
    expect(cli.relay.store).toBe('redis');
    expect(cli.out).toEqual([`crisp-unread relay listening on ${cli.relay.url}`]);
    await until(async () => (await health(cli)).status === 'ok', 'the store connecting');
    expect(await health(cli)).toMatchObject({ status: 'ok' });

    const response = await cli.get(unread(sessionId));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ count: 2, stale: false });
    const stored = await inspector.get(`cli-test:${website.websiteId}:count:${sessionId}`);
    expect(stored).not.toBeNull();
    expect(JSON.parse(stored!)).toMatchObject({ count: 2 });
    // The prefix replaced the default one.
    expect(await inspector.keys(`crisp-unread:${website.websiteId}:*`)).toEqual([]);
    expect(cli.logs).toEqual([]);
  });

  it('two CLI relays on one Redis make one upstream call for concurrent cold requests', async () => {
    const { website, sessionId } = site();
    const env = crispEnv(website, { REDIS_URL: redis.url });
    const a = await start(env);
    const b = await start(env);
    for (const cli of [a, b]) {
      await until(async () => (await health(cli)).status === 'ok', 'the store connecting');
    }
    // Slow upstream answers, so that the requests overlap.
    emulator.fault({ type: 'latency', ms: 300 }, { sessionId });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, index) => (index % 2 ? a : b).get(unread(sessionId))),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(await answer.json()).toMatchObject({ count: 2 });
    }
    expect(emulator.requestCount({ sessionId })).toBe(1);
    // The default prefix.
    expect(
      await inspector.get(`crisp-unread:${website.websiteId}:count:${sessionId}`),
    ).not.toBeNull();
  });

  it("creates the ioredis client with the README's options, and quits it (and the store's subscriber) on close", async () => {
    const { website } = site();
    const before = await connections();
    const recording = recordingIoredis();
    const url = withPassword(redis.url, secret);
    const cli = await start(crispEnv(website, { REDIS_URL: url }), { loadRedis: recording.load });
    await until(async () => (await health(cli)).status === 'ok', 'the store connecting');

    expect(recording.created).toHaveLength(1);
    const [{ url: given, options, client }] = recording.created as [
      (typeof recording.created)[number],
    ];
    expect(given).toBe(url);
    expect(options).toMatchObject({ maxRetriesPerRequest: 1, connectTimeout: 2000 });
    expect(options.retryStrategy).toBe(cliRedisOptions.retryStrategy);
    expect(cliRedisOptions.retryStrategy(1)).toBe(200);
    expect(cliRedisOptions.retryStrategy(100)).toBe(2000);
    expect(client.status).toBe('ready');
    if (ownRedis) expect(await connections()).toBe(before + 2);

    await cli.relay.close();
    await until(() => client.status === 'end', 'the client ending');
    if (ownRedis) await until(async () => (await connections()) === before, 'connections closed');
    await expect(fetch(`${cli.relay.url}/healthz`)).rejects.toThrow();
    await cli.relay.close(); // idempotent
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s closes the server, the relay and its store, quits the client, then exits 0',
    async (signal) => {
      const { website, sessionId } = site();
      const before = await connections();
      const recording = recordingIoredis();
      const signals = new EventEmitter();
      const exit = vi.fn();
      const cli = await start(crispEnv(website, { REDIS_URL: redis.url }), {
        loadRedis: recording.load,
        signals,
        exit,
      });
      await until(async () => (await health(cli)).status === 'ok', 'the store connecting');
      expect(signals.listenerCount('SIGINT')).toBe(1);
      expect(signals.listenerCount('SIGTERM')).toBe(1);
      expect((await cli.get(unread(sessionId))).status).toBe(200);

      signals.emit(signal);
      await until(() => exit.mock.calls.length > 0, 'exit');
      expect(exit).toHaveBeenCalledWith(0);
      expect(exit).toHaveBeenCalledTimes(1);
      await until(() => recording.created[0]?.client.status === 'end', 'the client ending');
      await expect(fetch(`${cli.relay.url}/healthz`)).rejects.toThrow();
      if (ownRedis) await until(async () => (await connections()) === before, 'connections closed');
      expect(signals.listenerCount('SIGINT')).toBe(0);
      expect(signals.listenerCount('SIGTERM')).toBe(0);
    },
  );

  it('never prints the password of REDIS_URL while Redis is unreachable (degraded, still serving)', async () => {
    const { website, sessionId } = site();
    const port = await freePort();
    const printed: string[] = [];
    const capture =
      (original: (...args: never[]) => unknown) =>
      (...args: unknown[]) => {
        printed.push(args.map(String).join(' '));
        return (original as (...args: unknown[]) => unknown)(...args);
      };
    const spies = [
      vi.spyOn(console, 'log').mockImplementation(capture(() => undefined)),
      vi.spyOn(console, 'info').mockImplementation(capture(() => undefined)),
      vi.spyOn(console, 'warn').mockImplementation(capture(() => undefined)),
      vi.spyOn(console, 'error').mockImplementation(capture(() => undefined)),
      vi
        .spyOn(process.stdout, 'write')
        .mockImplementation(capture(process.stdout.write.bind(process.stdout)) as never),
      vi
        .spyOn(process.stderr, 'write')
        .mockImplementation(capture(process.stderr.write.bind(process.stderr)) as never),
    ];
    try {
      const cli = await start(
        crispEnv(website, {
          REDIS_URL: `redis://crisp:${encodeURIComponent(secret)}@127.0.0.1:${port}/0`,
        }),
      );
      expect(cli.relay.store).toBe('redis');
      const healthBody = await health(cli);
      // Only a Redis store reports this: the memory store is always ok.
      expect(healthBody).toMatchObject({ status: 'degraded', redis: 'unreachable' });
      const response = await cli.get(unread(sessionId));
      expect(response.status).toBe(200);
      const body = await response.text();
      expect(JSON.parse(body)).toMatchObject({ count: 2 });
      await cli.relay.close();

      // The log says where Redis is, without the password.
      expect(cli.logs).toEqual([
        `crisp-unread relay: Redis at redis://127.0.0.1:${port} is not reachable yet; serving from this instance until it is.`,
      ]);
      const everything = [
        ...cli.out,
        ...cli.logs,
        ...printed,
        JSON.stringify(healthBody),
        body,
      ].join('\n');
      expect(everything).toContain('listening on');
      for (const form of secretForms) expect(everything).not.toContain(form);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('refuses a REDIS_URL that is not a redis URL without repeating it (or its password)', async () => {
    const { website } = site();
    const recording = recordingIoredis();
    for (const url of [
      `redis://crisp:${secret}@127.0.0.1:not-a-port`,
      `http://crisp:${encodeURIComponent(secret)}@127.0.0.1:6379`,
      `${secret}`,
    ]) {
      const out: string[] = [];
      const error = await main(crispEnv(website, { REDIS_URL: url }), {
        out: (line) => out.push(line),
        log: () => undefined,
        signals: false,
        loadRedis: recording.load,
      }).then(
        () => null,
        (reason: unknown) => reason as Error,
      );
      expect(error?.message).toBe('REDIS_URL must be a redis:// or rediss:// URL.');
      expect(out).toEqual([]);
    }
    expect(recording.created).toEqual([]);
  });

  it('fails to start on a bad REDIS_PREFIX, quits the client it made, and keeps the password out of the error', async () => {
    const { website } = site();
    const recording = recordingIoredis();
    const out: string[] = [];
    const error = await main(
      crispEnv(website, {
        REDIS_URL: withPassword(redis.url, secret),
        REDIS_PREFIX: 'not a prefix',
      }),
      {
        out: (line) => out.push(line),
        log: () => undefined,
        signals: false,
        loadRedis: recording.load,
      },
    ).then(
      () => null,
      (reason: unknown) => reason as Error,
    );
    expect(error?.message).toMatch(/prefix/);
    for (const form of secretForms) expect(error?.message).not.toContain(form);
    expect(out).toEqual([]);
    expect(recording.created).toHaveLength(1);
    await until(() => recording.created[0]?.client.status === 'end', 'the client ending');
  });

  it('redacts the password from an error that repeats it', async () => {
    const { website } = site();
    const error = await main(crispEnv(website, { REDIS_URL: withPassword(redis.url, secret) }), {
      out: () => undefined,
      log: () => undefined,
      signals: false,
      loadRedis: async () => {
        throw new Error(`could not load for ${withPassword(redis.url, secret)}`);
      },
    }).then(
      () => null,
      (reason: unknown) => reason as Error,
    );
    expect(error?.message).toMatch(/ioredis could not be loaded/);
    expect(error?.message).toContain('[redacted]');
    for (const form of secretForms) expect(error?.message).not.toContain(form);
  });

  it('says to install ioredis when it is missing, and does not start', async () => {
    const { website } = site();
    const missing = 'ioredis-that-is-not-installed';
    const out: string[] = [];
    const started = main(crispEnv(website, { REDIS_URL: redis.url }), {
      out: (line) => out.push(line),
      log: () => undefined,
      signals: false,
      // A real failed dynamic import (ERR_MODULE_NOT_FOUND), as without ioredis.
      loadRedis: () => import(/* @vite-ignore */ missing),
    });
    await expect(started).rejects.toThrow(
      /REDIS_URL is set but the ioredis package is not installed: install it .*npm install ioredis/,
    );
    expect(out).toEqual([]);
  });
});

describe('CLI without REDIS_URL', () => {
  let loads = 0;
  const loadRedis = async () => {
    loads++;
    return ioredis;
  };
  beforeEach(() => {
    loads = 0;
  });

  it.each([
    ['unset', {}],
    ['empty', { REDIS_URL: '' }],
    ['unset, with REDIS_PREFIX', { REDIS_PREFIX: 'ignored' }],
  ] as const)('REDIS_URL %s: the memory store, no ioredis, nothing in Redis', async (_, extra) => {
    const { website, sessionId } = site();
    const cli = await start(crispEnv(website, extra), { loadRedis });
    expect(cli.relay.store).toBe('memory');
    expect(cli.out).toEqual([`crisp-unread relay listening on ${cli.relay.url}`]);
    expect(await health(cli)).toMatchObject({ status: 'ok' });
    const response = await cli.get(unread(sessionId));
    expect(await response.json()).toMatchObject({ count: 2 });
    expect(loads).toBe(0);
    expect(await inspector.keys(`*${website.websiteId}*`)).toEqual([]);
    expect(emulator.requestCount({ sessionId })).toBe(1);
  });
});

describe('CLI with RELAY_METRICS_TOKEN', () => {
  const token = 'cli-metrics-token-0123456789';

  it('serves /metrics with the bearer token only, counting what it served', async () => {
    const { website, sessionId } = site();
    const cli = await start(crispEnv(website, { RELAY_METRICS_TOKEN: token }));
    expect(await (await cli.get(unread(sessionId))).json()).toMatchObject({ count: 2 });
    expect((await cli.get('/metrics')).status).toBe(401);
    const response = await fetch(`${cli.relay.url}/metrics`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const text = await response.text();
    expect(text).toContain(
      'crisp_unread_relay_upstream_calls_total{share="firstReads",outcome="ok"} 1',
    );
    expect(text).not.toContain(token);
    expect(text).not.toContain(website.key);
  });

  it('is off without it, and refuses a short token before it listens', async () => {
    const { website } = site();
    const cli = await start(crispEnv(website));
    expect((await cli.get('/metrics')).status).toBe(404);
    const error = await main(crispEnv(website, { RELAY_METRICS_TOKEN: 'short' }), {
      out: () => {},
      log: () => {},
      signals: false,
    }).catch((caught: unknown) => caught);
    expect(String(error)).toMatch(/metricsToken/);
    expect(String(error)).not.toContain('short');
  });
});

describe('the bin (run from source)', () => {
  let dir: string;
  let script: string;
  beforeAll(() => {
    // The bin as shipped, importing the source instead of dist/cli.js.
    const bin = readFileSync(join(packageRoot, 'bin/crisp-unread-relay.mjs'), 'utf8');
    const source = bin.replace(
      "'../dist/cli.js'",
      `'${pathToFileURL(join(packageRoot, 'src/cli.ts')).href}'`,
    );
    expect(source).not.toBe(bin);
    dir = mkdtempSync(join(tmpdir(), 'crisp-unread-cli-'));
    script = join(dir, 'bin.mjs');
    writeFileSync(script, source);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(env: Record<string, string>) {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: packageRoot,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += String(chunk);
    });
    child.stderr?.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    return {
      child,
      exited,
      output: () => `${stdout}\n${stderr}`,
      stdout: () => stdout,
      async url() {
        await until(
          () => /listening on (\S+)/.test(stdout) || child.exitCode !== null,
          'listening',
          30_000,
        );
        const url = /crisp-unread relay listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(
          stdout,
        )?.[1];
        if (!url) throw new Error(`the CLI did not start: ${stdout}\n${stderr}`);
        return url;
      },
    };
  }

  it('with a password in REDIS_URL: shares counts through Redis, exits 0 on SIGTERM, never prints the password', async () => {
    const { website, sessionId } = site();
    const before = await connections();
    const cli = run(
      crispEnv(website, { REDIS_URL: withPassword(redis.url, secret), REDIS_PREFIX: 'bin-test' }),
    );
    try {
      const url = await cli.url();
      await until(
        async () =>
          ((await (await fetch(`${url}/healthz`)).json()) as { status: string }).status === 'ok',
        'the store connecting',
      );
      expect(await (await fetch(`${url}${unread(sessionId)}`)).json()).toMatchObject({ count: 2 });
      expect(
        await inspector.get(`bin-test:${website.websiteId}:count:${sessionId}`),
      ).not.toBeNull();
      if (ownRedis) expect(await connections()).toBe(before + 2);

      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
      if (ownRedis) await until(async () => (await connections()) === before, 'connections closed');
      expect(cli.stdout()).toBe(`crisp-unread relay listening on ${url}\n`);
      for (const form of secretForms) expect(cli.output()).not.toContain(form);
    } finally {
      cli.child.kill('SIGKILL');
    }
  }, 40_000);

  it('with Redis unreachable: degraded but serving, exits 0 on SIGINT, never prints the password', async () => {
    const { website, sessionId } = site();
    const port = await freePort();
    const cli = run(
      crispEnv(website, {
        REDIS_URL: `redis://crisp:${encodeURIComponent(secret)}@127.0.0.1:${port}`,
      }),
    );
    try {
      const url = await cli.url();
      expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({
        status: 'degraded',
        redis: 'unreachable',
      });
      expect(await (await fetch(`${url}${unread(sessionId)}`)).json()).toMatchObject({ count: 2 });

      cli.child.kill('SIGINT');
      expect(await cli.exited).toBe(0);
      expect(cli.output()).toContain(`Redis at redis://127.0.0.1:${port} is not reachable yet`);
      for (const form of secretForms) expect(cli.output()).not.toContain(form);
    } finally {
      cli.child.kill('SIGKILL');
    }
  }, 40_000);

  it('a configuration error: exit code 1, one line on stderr, no password', async () => {
    const { website } = site();
    const cli = run(
      crispEnv(website, { CRISP_KEY: '', REDIS_URL: withPassword(redis.url, secret) }),
    );
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toMatch(/^crisp-unread-relay: /m);
    for (const form of secretForms) expect(cli.output()).not.toContain(form);
  }, 40_000);
});
