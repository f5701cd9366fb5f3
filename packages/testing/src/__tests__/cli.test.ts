import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envFileLines, parseCommandLine, startFromCommandLine } from '../cli.js';
import { basicAuth } from '../credentials.js';
import type { CrispEmulator } from '../types.js';
import { signCrispWebhook } from '../webhooks.js';
import { type HookReceiver, type ReceivedHook, startHookReceiver } from './emulatorClient.js';

describe('parseCommandLine', () => {
  it('reads the port and the web hook from flags', () => {
    expect(
      parseCommandLine(
        [
          '--port',
          '0',
          '--webhook-url',
          'http://127.0.0.1:8787/webhooks/crisp',
          '--webhook-secret',
          's',
        ],
        {},
      ),
    ).toEqual({
      port: 0,
      webhook: { url: 'http://127.0.0.1:8787/webhooks/crisp', secret: 's' },
      printEnv: false,
    });
    expect(parseCommandLine(['--print-env'], {}).printEnv).toBe(true);
  });

  it('falls back on PORT and CRISP_EMULATOR_WEBHOOK_URL / _SECRET; a flag wins', () => {
    const env = {
      PORT: '4011',
      CRISP_EMULATOR_WEBHOOK_URL: 'http://127.0.0.1:1/a',
      CRISP_EMULATOR_WEBHOOK_SECRET: 'from-env',
    };
    expect(parseCommandLine([], env)).toEqual({
      port: 4011,
      webhook: { url: 'http://127.0.0.1:1/a', secret: 'from-env' },
      printEnv: false,
    });
    expect(parseCommandLine(['--webhook-url=http://127.0.0.1:2/b'], env).webhook).toEqual({
      url: 'http://127.0.0.1:2/b',
      secret: 'from-env',
    });
    expect(parseCommandLine([], {})).toEqual({ port: 4010, webhook: null, printEnv: false });
  });

  it('refuses a web hook half given, a bad port and unknown flags', () => {
    expect(() => parseCommandLine(['--webhook-url', 'http://127.0.0.1:1/a'], {})).toThrow(
      /URL and a secret/,
    );
    expect(() => parseCommandLine([], { CRISP_EMULATOR_WEBHOOK_SECRET: 'secret-only' })).toThrow(
      /URL and a secret/,
    );
    expect(() => parseCommandLine(['--port', '70000'], {})).toThrow(/--port/);
    expect(() => parseCommandLine([], { PORT: 'eighty' })).toThrow(/--port/);
    expect(() => parseCommandLine(['--verbose'], {})).toThrow(/usage/);
    expect(() => parseCommandLine(['--print-env=yes'], {})).toThrow(/usage/);
  });
});

describe('startFromCommandLine', () => {
  let emulator: CrispEmulator | undefined;
  let receiver: HookReceiver;
  let receiverUrl: string;
  let hooks: ReceivedHook[];

  beforeEach(async () => {
    receiver = await startHookReceiver();
    ({ url: receiverUrl, received: hooks } = receiver);
  });

  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
    await receiver.close();
  });

  it('drives a push path: an operator message over the control API posts a signed hook at once', async () => {
    const started = await startFromCommandLine(['--port', '0'], {
      CRISP_EMULATOR_WEBHOOK_URL: receiverUrl,
      CRISP_EMULATOR_WEBHOOK_SECRET: 'relay-secret',
    });
    emulator = started.emulator;
    const { summary } = started;
    expect(summary).toMatchObject({ url: emulator.url, webhookUrl: receiverUrl, tier: 'plugin' });
    expect(JSON.stringify(summary)).not.toContain('relay-secret');

    const response = await fetch(
      `${summary.url}/_emulator/websites/${summary.websiteId}/sessions/${summary.sessionId}/operator-sends`,
      { method: 'POST' },
    );
    expect(await response.json()).toEqual({ unread: 1 });
    await emulator.webhooksDelivered();
    expect(hooks).toHaveLength(1);
    const [hook] = hooks;
    expect(hook!.signature).toBe(signCrispWebhook('relay-secret', hook!.timestamp, hook!.text));
    expect(JSON.parse(hook!.text)).toMatchObject({
      website_id: summary.websiteId,
      event: 'message:received',
      data: { session_id: summary.sessionId, from: 'operator' },
    });
  });

  it('posts nothing without a web hook, and refuses a target off this machine', async () => {
    const started = await startFromCommandLine(['--port', '0'], {});
    emulator = started.emulator;
    expect(started.summary.webhookUrl).toBeNull();
    emulator.operatorSends(started.summary.websiteId, started.summary.sessionId);
    expect(await emulator.webhooksDelivered()).toEqual([]);
    await expect(
      startFromCommandLine(
        ['--port', '0', '--webhook-url', 'http://10.0.0.1/hook', '--webhook-secret', 's'],
        {},
      ),
    ).rejects.toThrow(/loopback/);
  });
});

/** The `NAME=value` lines of a `.env` text, as a record; comments and blank lines skipped. */
function parseEnvFile(text: string): Record<string, string> {
  const entries = text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([A-Z_]+)=(\S+)$/.exec(line);
      if (!match) throw new Error(`not a NAME=value line: ${line}`);
      return [match[1]!, match[2]!] as const;
    });
  return Object.fromEntries(entries);
}

/** Reads the conversation the way a relay configured from `env` would: 200 and the unread count. */
async function readWith(env: Record<string, string>) {
  const response = await fetch(
    `${env.CRISP_API_URL}/v1/website/${env.CRISP_WEBSITE_ID}/conversation/${env.CRISP_SESSION_ID}`,
    {
      headers: {
        Authorization: basicAuth(env.CRISP_IDENTIFIER!, env.CRISP_KEY!),
        'X-Crisp-Tier': 'plugin',
      },
    },
  );
  const body = (await response.json()) as { data?: { unread?: { visitor?: number } } };
  return { status: response.status, unread: body.data?.unread?.visitor };
}

describe('--print-env', () => {
  let emulator: CrispEmulator | undefined;

  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  it('prints CRISP_* lines for a .env file that reach the emulator, and never the web hook secret', async () => {
    const started = await startFromCommandLine(
      ['--port', '0', '--print-env', '--webhook-url', 'http://127.0.0.1:9/hook'],
      { CRISP_EMULATOR_WEBHOOK_SECRET: 'the-relay-secret' },
    );
    emulator = started.emulator;
    const { summary, output } = started;
    expect(output).toBe(envFileLines(summary));
    const env = parseEnvFile(output);
    expect(env).toEqual({
      CRISP_WEBSITE_ID: summary.websiteId,
      CRISP_IDENTIFIER: summary.identifier,
      CRISP_KEY: summary.key,
      CRISP_API_URL: emulator.url,
      CRISP_SESSION_ID: summary.sessionId,
    });
    expect(output).not.toContain('the-relay-secret');
    expect(output).toContain('CRISP_WEBHOOK_SECRET to the secret you gave');

    emulator.operatorSends(summary.websiteId, summary.sessionId, 2);
    expect(await readWith(env)).toEqual({ status: 200, unread: 2 });
  });

  it('prints the one JSON line without it', async () => {
    const started = await startFromCommandLine(['--port', '0'], {});
    emulator = started.emulator;
    expect(JSON.parse(started.output)).toEqual(started.summary);
    expect(started.output.endsWith('\n')).toBe(true);
  });
});

describe('the crisp-emulator command with --print-env', () => {
  const bin = fileURLToPath(new URL('../../bin/crisp-emulator.mjs', import.meta.url));
  let child: ChildProcess | undefined;

  afterEach(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  it('prints the .env lines, keeps serving them, and stops cleanly on SIGTERM', async () => {
    child = spawn(process.execPath, [bin, '--print-env', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout!.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (chunk: string) => {
        stdout += chunk;
        if (stdout.includes('CRISP_SESSION_ID=')) resolve();
      });
      child!.once('exit', (code) => reject(new Error(`crisp-emulator exited early (${code})`)));
    });
    const env = parseEnvFile(stdout);
    expect(Object.keys(env)).toEqual([
      'CRISP_WEBSITE_ID',
      'CRISP_IDENTIFIER',
      'CRISP_KEY',
      'CRISP_API_URL',
      'CRISP_SESSION_ID',
    ]);
    // Still running after printing: the values work for as long as it does.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(child.exitCode).toBeNull();
    expect(await readWith(env)).toEqual({ status: 200, unread: 0 });

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
  });
});
