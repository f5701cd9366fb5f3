import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basicAuth } from '../credentials.js';
import { startCrispEmulator } from '../startCrispEmulator.js';
import type { CrispEmulator, EmulatedWebsite } from '../types.js';
import { signCrispWebhook } from '../webhooks.js';
import { startHookReceiver } from './emulatorClient.js';

let emulator: CrispEmulator;

async function control(method: string, path: string, body?: unknown) {
  const response = await fetch(`${emulator.url}/_emulator${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

async function read(website: EmulatedWebsite, sessionId: string) {
  return fetch(`${emulator.url}/v1/website/${website.websiteId}/conversation/${sessionId}`, {
    headers: {
      Authorization: basicAuth(website.identifier, website.key),
      'X-Crisp-Tier': website.tier,
    },
  });
}

beforeEach(async () => {
  emulator = await startCrispEmulator();
});

afterEach(async () => {
  await emulator.close();
});

describe('control API', () => {
  it('creates a website with its throwaway credentials and a session over HTTP', async () => {
    const created = await control('POST', '/websites');
    expect(created.status).toBe(201);
    expect(created.headers.get('access-control-allow-origin')).toBe('*');
    const website = created.body as EmulatedWebsite;
    expect(website).toEqual({
      websiteId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      identifier: expect.stringMatching(/^[0-9a-f-]{36}$/),
      key: expect.stringMatching(/^[0-9a-f]{64}$/),
      tier: 'plugin',
    });
    const session = await control('POST', `/websites/${website.websiteId}/sessions`, { unread: 4 });
    expect(session.status).toBe(201);
    expect(session.body.sessionId).toMatch(/^session_[0-9a-f-]{36}$/);
    const response = await read(website, session.body.sessionId);
    expect((await response.json()).data.unread.visitor).toBe(4);
  });

  it('accepts the website fields and session id it is given', async () => {
    const websiteId = '8c842203-7ed8-4e29-a608-7cf78a7d2fcc';
    const sessionId = 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881';
    const { body: website } = await control('POST', '/websites', { websiteId, tier: 'website' });
    expect(website).toMatchObject({ websiteId, tier: 'website' });
    const { body } = await control('POST', `/websites/${websiteId}/sessions`, { sessionId });
    expect(body).toEqual({ sessionId });
  });

  it('drives the unread count: operator-sends, visitor-reads, unread', async () => {
    const website = emulator.createWebsite();
    const sessionId = emulator.createSession(website.websiteId);
    const base = `/websites/${website.websiteId}/sessions/${sessionId}`;
    expect((await control('POST', `${base}/operator-sends`)).body).toEqual({ unread: 1 });
    expect((await control('POST', `${base}/operator-sends`, { count: 3 })).body).toEqual({
      unread: 4,
    });
    expect((await control('GET', `${base}/unread`)).body).toEqual({ unread: 4 });
    expect((await control('POST', `${base}/visitor-reads`)).body).toEqual({ unread: 0 });
    expect(emulator.unreadOf(website.websiteId, sessionId)).toBe(0);
    expect((await control('POST', `${base}/visitor-sends`, { count: 2 })).body).toEqual({
      operator: 2,
    });
    expect((await control('DELETE', base)).body).toEqual({ ok: true });
    expect((await read(website, sessionId)).status).toBe(404);
  });

  it('sets web hook targets per website and for every website, and lists deliveries', async () => {
    const receiver = await startHookReceiver();
    const hooks = receiver.received;
    try {
      const { url } = receiver;
      const website = emulator.createWebsite();
      const sessionId = emulator.createSession(website.websiteId);
      const sends = `/websites/${website.websiteId}/sessions/${sessionId}/operator-sends`;

      const set = await control('PUT', `/websites/${website.websiteId}/webhook`, {
        url,
        secret: 'site-secret',
      });
      expect(set).toMatchObject({ status: 200, body: { ok: true } });
      await control('POST', sends);
      await emulator.webhooksDelivered();
      expect(hooks).toHaveLength(1);
      expect(hooks[0]!.signature).toBe(
        signCrispWebhook('site-secret', hooks[0]!.timestamp, hooks[0]!.text),
      );
      expect(JSON.parse(hooks[0]!.text)).toMatchObject({
        event: 'message:received',
        data: { session_id: sessionId },
      });
      const listed = await control('GET', '/webhook-deliveries');
      expect(listed.body.deliveries).toEqual([
        expect.objectContaining({ event: 'message:received', sessionId, status: 200 }),
      ]);
      expect(JSON.stringify(listed.body)).not.toContain('site-secret');

      await control('DELETE', `/websites/${website.websiteId}/webhook`);
      await control('POST', sends);
      await emulator.webhooksDelivered();
      expect(hooks).toHaveLength(1);

      expect((await control('PUT', '/webhook', { url, secret: 'all-secret' })).status).toBe(200);
      await control('POST', sends);
      await emulator.webhooksDelivered();
      expect(hooks).toHaveLength(2);
      expect(hooks[1]!.signature).toBe(
        signCrispWebhook('all-secret', hooks[1]!.timestamp, hooks[1]!.text),
      );
      await control('DELETE', '/webhook');
      await control('POST', sends);
      await emulator.webhooksDelivered();
      expect(hooks).toHaveLength(2);
    } finally {
      await receiver.close();
    }
  });

  it('refuses a web hook target off this machine or for an unknown website, never echoing the secret', async () => {
    const website = emulator.createWebsite();
    const offMachine = await control('PUT', `/websites/${website.websiteId}/webhook`, {
      url: 'http://10.0.0.1/hook',
      secret: 'do-not-echo',
    });
    expect(offMachine.status).toBe(400);
    expect(offMachine.body.error).toMatch(/loopback/);
    const unknown = await control('PUT', '/websites/8c842203-7ed8-4e29-a608-7cf78a7d2fcc/webhook', {
      url: 'http://127.0.0.1:9/hook',
      secret: 'do-not-echo',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(/websiteId/);
    // No secret at all is a Website Hook target; an empty one is a mistake.
    const noSecret = await control('PUT', '/webhook', {
      url: 'http://127.0.0.1:9/hook',
      secret: '',
    });
    expect(noSecret.status).toBe(400);
    for (const answer of [offMachine, unknown, noSecret]) {
      expect(JSON.stringify(answer.body)).not.toContain('do-not-echo');
    }
  });

  it('adds and clears faults', async () => {
    const website = emulator.createWebsite();
    const sessionId = emulator.createSession(website.websiteId);
    const added = await control('POST', '/faults', {
      fault: { type: 'server-error', status: 503 },
      times: 2,
      sessionId,
      method: 'GET',
    });
    expect(added).toMatchObject({ status: 200, body: { ok: true } });
    expect((await read(website, sessionId)).status).toBe(503);
    await control('DELETE', '/faults');
    expect((await read(website, sessionId)).status).toBe(200);
  });

  it('lists and clears the request log', async () => {
    const website = emulator.createWebsite();
    const sessionId = emulator.createSession(website.websiteId);
    await read(website, sessionId);
    const { body } = await control('GET', '/requests');
    expect(body.requests).toEqual([expect.objectContaining({ sessionId, status: 200 })]);
    expect(JSON.stringify(body)).not.toContain(website.key);
    await control('DELETE', '/requests');
    expect(emulator.requests).toEqual([]);
  });

  it('sets and resets the daily quota', async () => {
    const website = emulator.createWebsite();
    const sessionId = emulator.createSession(website.websiteId);
    await control('POST', '/quota', { dailyQuota: 0 });
    expect((await read(website, sessionId)).status).toBe(429);
    await control('POST', '/quota', { dailyQuota: 10 });
    await control('DELETE', '/quota');
    expect((await read(website, sessionId)).status).toBe(200);
  });

  it('answers 400 with a message for invalid input', async () => {
    const badFault = await control('POST', '/faults', { fault: { type: 'nope' } });
    expect(badFault.status).toBe(400);
    expect(badFault.body.error).toMatch(/type must be one of/);
    const unknownWebsite = await control(
      'POST',
      '/websites/8c842203-7ed8-4e29-a608-7cf78a7d2fcc/sessions',
    );
    expect(unknownWebsite.status).toBe(400);
    const response = await fetch(`${emulator.url}/_emulator/websites`, {
      method: 'POST',
      body: '{oops',
    });
    expect(response.status).toBe(400);
  });

  it('never echoes a rejected key', async () => {
    for (const key of ['secret key with spaces', 'short']) {
      const { status, body } = await control('POST', '/websites', { key });
      expect(status).toBe(400);
      expect(body.error).toMatch(/key must be/);
      expect(JSON.stringify(body)).not.toContain(key);
    }
  });

  it('answers 404 for an unknown route and 405 for a known route with another method', async () => {
    expect((await control('GET', '/nothing')).status).toBe(404);
    expect((await control('PATCH', '/faults')).status).toBe(405);
  });

  it('answers CORS preflights for control routes', async () => {
    const response = await fetch(`${emulator.url}/_emulator/faults`, { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-methods')).toContain('DELETE');
  });
});
