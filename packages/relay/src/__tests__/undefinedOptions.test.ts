// A relay configured from environment values (`webhookSecret: process.env.X`, unset here): every
// option given as `undefined` behaves as an omitted one, rate limits included.
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness';

const unset = (): undefined => undefined;
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('relay options given as undefined', () => {
  it('take their defaults and the relay answers', async () => {
    harness = await startHarness({
      tier: unset(),
      ttlMs: unset(),
      dailyBudget: unset(),
      webhookSecret: unset(),
      webhookToleranceMs: unset(),
      maxWebhookBytes: unset(),
      allowedOrigins: unset(),
      basePath: unset(),
      store: unset(),
      rateLimit: { burst: unset(), perSecond: unset() },
      trustProxy: unset(),
      clientId: unset(),
      heartbeatMs: unset(),
      sseRetryMs: unset(),
      timeoutMs: unset(),
      rateLimitedPauseMs: unset(),
      now: unset(),
      fetch: unset(),
    });
    const response = await harness.get(`/sessions/${harness.sessionId}/unread`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ count: 2 });
    // No webhook secret: the web hook route is not there.
    const hook = await harness.get('/webhooks/crisp', { method: 'POST', body: '{}' });
    expect(hook.status).not.toBe(200);
  });
});
