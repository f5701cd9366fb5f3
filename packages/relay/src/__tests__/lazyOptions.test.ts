import { isUnreadError } from '@crisp-unread/core';
import { type CrispEmulator, startCrispEmulator } from '@crisp-unread/testing';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createUnreadRelay } from '../createUnreadRelay';
import { relayOptionsFromEnv, type ServedRelay, serveUnreadRelay } from '../node';
import type { UnreadRelayOptions } from '../types';

let emulator: CrispEmulator | undefined;
let served: ServedRelay | undefined;
afterEach(async () => {
  await served?.close();
  await emulator?.close();
  served = undefined;
  emulator = undefined;
});

/** A relay built from `resolve` and served on 127.0.0.1, with its log and the calls counted. */
async function serveLazy(resolve: (logs: string[]) => UnreadRelayOptions) {
  const logs: string[] = [];
  let calls = 0;
  const relay = createUnreadRelay(() => {
    calls++;
    return resolve(logs);
  });
  served = await serveUnreadRelay(relay, { port: 0 });
  const base = served.url;
  return {
    relay,
    logs,
    calls: () => calls,
    get: (path: string) => fetch(`${base}${path}`),
  };
}

const sessionPath = `/sessions/session_${crypto.randomUUID()}/unread`;

describe('createUnreadRelay(() => options)', () => {
  it('reads its options on the first request, once', async () => {
    emulator = await startCrispEmulator();
    const website = emulator.createWebsite();
    const sessionId = emulator.createSession(website.websiteId, { unread: 4 });
    const relay = await serveLazy((logs) => ({
      ...emulator!.restOptions(website),
      log: (line) => logs.push(line),
    }));
    expect(relay.calls()).toBe(0);
    expect(relay.relay.stats()).toEqual({ upstreamCalls: 0, streams: 0, watchedSessions: 0 });
    for (let i = 0; i < 3; i++) {
      const response = await relay.get(`/sessions/${sessionId}/unread`);
      expect(await response.json()).toMatchObject({ count: 4 });
    }
    expect(relay.calls()).toBe(1);
    expect(relay.relay.stats().upstreamCalls).toBe(1);
  });

  it('answers 500 misconfigured naming the missing credential, never its value, and logs it once', async () => {
    emulator = await startCrispEmulator();
    const website = emulator.createWebsite();
    const relay = await serveLazy((logs) => ({
      ...emulator!.restOptions(website),
      key: '',
      log: (line) => logs.push(line),
    }));
    for (const path of [sessionPath, '/healthz', sessionPath]) {
      const response = await relay.get(path);
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ error: 'misconfigured', option: 'key' });
      expect(text).not.toContain(website.identifier);
    }
    expect(relay.calls()).toBe(1);
    expect(relay.logs).toHaveLength(1);
    expect(relay.logs[0]).toContain('`key`');
    expect(relay.logs[0]).toContain('CRISP_KEY');
    expect(emulator.requestCount()).toBe(0);
  });

  it('never puts an invalid value in the answer', async () => {
    emulator = await startCrispEmulator();
    const website = emulator.createWebsite();
    const secret = 'not a valid key: it has spaces';
    const relay = await serveLazy((logs) => ({
      ...emulator!.restOptions(website),
      key: secret,
      log: (line) => logs.push(line),
    }));
    const response = await relay.get(sessionPath);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ error: 'misconfigured' });
    expect(text).not.toContain(secret);
    expect(relay.logs.join('\n')).not.toContain(secret);
  });

  it('works with relayOptionsFromEnv: names the variable the deployment lacks or got wrong', async () => {
    const missing = await serveLazy(() => relayOptionsFromEnv({}));
    expect(await (await missing.get(sessionPath)).json()).toMatchObject({
      error: 'misconfigured',
      option: 'websiteId',
    });
    await served?.close();
    const wrong = await serveLazy(() => relayOptionsFromEnv({ RELAY_TTL_MS: 'soon' }));
    expect(await (await wrong.get(sessionPath)).json()).toMatchObject({
      error: 'misconfigured',
      option: 'RELAY_TTL_MS',
    });
  });

  it('answers 500 without the message when the function itself throws', async () => {
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => {});
    onTestFinished(() => warned.mockRestore());
    const relay = await serveLazy(() => {
      throw new Error('vault said: token s3cr3t expired');
    });
    const response = await relay.get(sessionPath);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      error: 'misconfigured',
      message: expect.any(String),
    });
    expect(text).not.toContain('s3cr3t');
    await relay.get(sessionPath);
    expect(warned.mock.calls).toEqual([
      ['crisp-unread relay: the options function threw (Error).'],
    ]);
  });

  it('closed before its first request, it never reads its options', async () => {
    const relay = await serveLazy(() => relayOptionsFromEnv({}));
    await relay.relay.close();
    const response = await relay.get(sessionPath);
    expect(response.status).toBe(503);
    expect(relay.calls()).toBe(0);
  });
});

describe('createUnreadRelay(options)', () => {
  it('still fails at once, with a misconfigured error naming the option', () => {
    for (const key of ['', undefined]) {
      const create = () =>
        createUnreadRelay({
          websiteId: '8c842203-7ed8-4e29-a608-7cf78a7d2fcc',
          identifier: 'id',
          key,
        } as unknown as UnreadRelayOptions);
      expect(create).toThrow(/^crisp-unread relay: `key` is required/);
      expect(() => {
        try {
          create();
        } catch (error) {
          if (isUnreadError(error)) throw new Error(error.code);
        }
      }).toThrow('misconfigured');
    }
  });
});
