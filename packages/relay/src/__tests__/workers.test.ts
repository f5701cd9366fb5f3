import { type CrispEmulator, startCrispEmulator } from '@crisp-unread/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { UnreadRelayOptions } from '../types';
import { unreadRelayObject, unreadRelayWorker } from '../workers';

// The Durable Object and the Worker, driven as workerd drives them; examples/runtimes runs them
// under workerd itself.
let emulator: CrispEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe('@crisp-unread/relay/workers', () => {
  it('keys the limits on CF-Connecting-IP and reads its options on the first request', async () => {
    emulator = await startCrispEmulator();
    const website = emulator.createWebsite();
    const sessionId = emulator.createSession(website.websiteId, { unread: 3 });
    let reads = 0;
    const RelayObject = unreadRelayObject((env: { options: UnreadRelayOptions }) => {
      reads += 1;
      return env.options;
    });
    const object = new RelayObject(
      {},
      { options: { ...emulator.restOptions(website), rateLimit: { burst: 1, perSecond: 0.001 } } },
    );
    expect(reads).toBe(0);
    const read = async (address: string) => {
      const response = await object.fetch(
        new Request(`https://relay.example/sessions/${sessionId}/unread`, {
          headers: { 'CF-Connecting-IP': address },
        }),
      );
      await response.body?.cancel();
      return response.status;
    };
    expect([await read('198.51.100.1'), await read('198.51.100.1')]).toEqual([200, 429]);
    expect(await read('198.51.100.2')).toBe(200);
    expect(reads).toBe(1);
  });

  it('forwards every request to the one named object, and names a missing binding', async () => {
    const seen: { name: string; url: string }[] = [];
    const namespace = {
      idFromName: (name: string) => ({ name }),
      get: (id: never) => ({
        fetch: async (request: Request) => {
          seen.push({ name: (id as { name: string }).name, url: request.url });
          return new Response('from the object');
        },
      }),
    };
    const worker = unreadRelayWorker<{ RELAY: typeof namespace }>({ binding: 'RELAY' });
    const response = await worker.fetch(new Request('https://relay.example/healthz'), {
      RELAY: namespace,
    });
    expect(await response.text()).toBe('from the object');
    expect(seen).toEqual([{ name: 'crisp-unread', url: 'https://relay.example/healthz' }]);

    const missing = await worker.fetch(
      new Request('https://relay.example/healthz'),
      {} as { RELAY: typeof namespace },
    );
    expect(missing.status).toBe(500);
    expect(await missing.json()).toMatchObject({ error: 'misconfigured', option: 'RELAY' });
  });
});
