import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommandLine, startFromCommandLine } from '../cli.js';
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
    ).toEqual({ port: 0, webhook: { url: 'http://127.0.0.1:8787/webhooks/crisp', secret: 's' } });
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
    });
    expect(parseCommandLine(['--webhook-url=http://127.0.0.1:2/b'], env).webhook).toEqual({
      url: 'http://127.0.0.1:2/b',
      secret: 'from-env',
    });
    expect(parseCommandLine([], {})).toEqual({ port: 4010, webhook: null });
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
