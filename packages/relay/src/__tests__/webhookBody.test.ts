import { signCrispWebhook as signRaw } from '@crisp-unread/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signCrispWebhook, verifyCrispSignatureBytes } from '../signature';
import { shallowJson } from '../webhookRoute';
import { type Harness, startHarness, webhookSecret } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  if (h) {
    for (const line of h.logs) expect(line).not.toContain(webhookSecret);
    await h.close();
  }
  h = undefined;
});

const encoder = new TextEncoder();

/** The unit hooks are stamped in: the route tests run under both (Crisp does not say which). */
let unit: 's' | 'ms' = 'ms';
const now = () => (unit === 's' ? Math.floor(Date.now() / 1000) : Date.now());

function hook(h: Harness, extra: Record<string, unknown> = {}) {
  return {
    website_id: h.website.websiteId,
    event: 'message:received',
    data: { website_id: h.website.websiteId, session_id: h.sessionId, ...extra },
    timestamp: now(),
  };
}

/** Posts `text` with the signature Crisp would give these exact bytes. */
function postSigned(h: Harness, text: string, timestamp = now()) {
  return post(h, text, {
    'X-Crisp-Request-Timestamp': String(timestamp),
    'X-Crisp-Signature': signRaw(webhookSecret, timestamp, text),
  });
}

function post(h: Harness, body: string, headers: Record<string, string>) {
  return h.get('/webhooks/crisp', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body,
  });
}

describe('verifyCrispSignatureBytes', () => {
  it('checks the bytes as sent, without parsing them', async () => {
    const text = '{"website_id":"w","event":"message:received","data":{"content":"café ☕"}}';
    const signature = signRaw(webhookSecret, 1764064800123, text);
    const bytes = encoder.encode(text);
    expect(await verifyCrispSignatureBytes(webhookSecret, '1764064800123', bytes, signature)).toBe(
      true,
    );
    expect(await verifyCrispSignatureBytes(webhookSecret, '1764064800124', bytes, signature)).toBe(
      false,
    );
    expect(await verifyCrispSignatureBytes('other', '1764064800123', bytes, signature)).toBe(false);
    const deep = encoder.encode('['.repeat(50_000) + ']'.repeat(50_000));
    expect(await verifyCrispSignatureBytes(webhookSecret, '1', deep, signature)).toBe(false);
  });
});

describe('shallowJson', () => {
  it('counts the nesting of arrays and objects, not brackets inside strings', () => {
    expect(shallowJson(encoder.encode('{"a":[{"b":1}]}'), 3)).toBe(true);
    expect(shallowJson(encoder.encode('{"a":[{"b":[1]}]}'), 3)).toBe(false);
    expect(shallowJson(encoder.encode(`{"a":"${'['.repeat(100)}"}`), 1)).toBe(true);
    expect(shallowJson(encoder.encode(`{"a":"\\"${'['.repeat(100)}"}`), 1)).toBe(true);
    expect(shallowJson(encoder.encode(`{"a":"\\\\",${'['.repeat(3)}`), 3)).toBe(false);
  });
});

describe.each(['ms', 's'] as const)('POST /webhooks/crisp: the body, timestamps in %s', (each) => {
  beforeEach(() => {
    unit = each;
  });

  it('answers 401, not 500, to an unsigned deeply nested body', async () => {
    h = await startHarness({ webhook: true });
    const deep = '['.repeat(30_000) + ']'.repeat(30_000);
    const response = await post(h, deep, {
      'X-Crisp-Request-Timestamp': String(now()),
      'X-Crisp-Signature': 'ab'.repeat(32),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid-signature' });
    // The first refusal of a kind is logged once, with the measured skew and no secret.
    expect(h.logs).toEqual([expect.stringMatching(/refused a web hook \(signature\).*clock skew/)]);
  });

  it('accepts a deeply nested body Crisp signed, and ignores it as no hook of its website', async () => {
    h = await startHarness({ webhook: true });
    const response = await postSigned(h, '['.repeat(30_000) + ']'.repeat(30_000));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, ignored: 'website' });
  });

  it('answers 400 invalid-body to malformed JSON with a valid signature', async () => {
    h = await startHarness({ webhook: true });
    for (const text of ['not json', '{"website_id":', '']) {
      const response = await postSigned(h, text);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid-body' });
    }
    expect(h.upstream()).toBe(0);
  });

  it('verifies the bytes as sent, even where they differ from JSON.stringify of their value', async () => {
    h = await startHarness({ webhook: true });
    // Spacing, an escaped non-ASCII letter and an escaped slash: JSON.stringify writes all three
    // differently, so only the raw bytes carry this signature.
    const text = JSON.stringify(hook(h), null, 2).replace(
      '"message:received"',
      '"message:received", "note": "caf\\u00e9 \\/"',
    );
    expect(JSON.stringify(JSON.parse(text))).not.toBe(text);
    const response = await postSigned(h, text);
    expect(response.status).toBe(200);
    // Accepted: nobody watches or caches the session, so it is marked changed, read on demand.
    expect(await response.json()).toEqual({ ok: true, count: null, deferred: true });
  });

  it('still accepts a body signed as JSON.stringify of its value (as Crisp documents) but sent re-serialised', async () => {
    h = await startHarness({ webhook: true });
    const body = hook(h, { content: 'café ☕' });
    const response = await post(h, JSON.stringify(body, null, 2), {
      'X-Crisp-Request-Timestamp': String(body.timestamp),
      'X-Crisp-Signature': await signCrispWebhook(webhookSecret, body.timestamp, body),
    });
    expect(response.status).toBe(200);
    // Accepted: nobody watches or caches the session, so it is marked changed, read on demand.
    expect(await response.json()).toEqual({ ok: true, count: null, deferred: true });
  });

  it('answers 400 when the body cannot be read', async () => {
    h = await startHarness({ webhook: true });
    const response = await h.relay.fetch(
      new Request(h.url('/webhooks/crisp'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: new ReadableStream({
          pull(controller) {
            controller.error(new Error('connection reset'));
          },
        }),
        duplex: 'half',
      } as RequestInit),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid-body' });
  });
});
