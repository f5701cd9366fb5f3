import { type CrispEmulator, startCrispEmulator } from '@crisp-unread/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { visitor } from './client';
import { type RuntimeRelay, startPlainWorker } from './runtimes';

describe('the relay built at a plain Worker’s global scope (workerd)', () => {
  let emulator: CrispEmulator;
  let relay: RuntimeRelay;
  let websiteId: string;

  beforeAll(async () => {
    emulator = await startCrispEmulator();
    const website = emulator.createWebsite();
    websiteId = website.websiteId;
    relay = await startPlainWorker({
      CRISP_WEBSITE_ID: website.websiteId,
      CRISP_IDENTIFIER: website.identifier,
      CRISP_KEY: website.key,
      CRISP_API_URL: emulator.url,
    });
  });

  afterAll(async () => {
    await relay?.close();
    await emulator?.close();
  });

  it('loads, and answers a GET with the count', async () => {
    const sessionId = emulator.createSession(websiteId, { unread: 4 });
    const answer = await visitor('127.0.0.2').get(`${relay.url}/sessions/${sessionId}/unread`);
    expect(answer).toMatchObject({ status: 200, body: { count: 4, stale: false } });
    expect(relay.output.join('')).not.toMatch(/global scope/);
  });
});
