import {
  type CrispEmulator,
  type EmulatedWebsite,
  startCrispEmulator,
  type WebhookTarget,
} from '@crisp-unread/testing';
import { vi } from 'vitest';
import { createUnreadRelay } from '../createUnreadRelay';
import { type ServedRelay, serveUnreadRelay } from '../node';
import type { UnreadRelay, UnreadRelayOptions } from '../types';

export interface Harness {
  emulator: CrispEmulator;
  website: EmulatedWebsite;
  sessionId: string;
  relay: UnreadRelay;
  served: ServedRelay;
  /** Every line the relay logged. */
  logs: string[];
  url(path: string): string;
  get(path: string, init?: RequestInit): Promise<Response>;
  /** Upstream calls the emulator saw. */
  upstream(sessionId?: string): number;
  close(): Promise<void>;
}

export const webhookSecret = 'relay-test-webhook-secret';

/**
 * The shares the budget tests' arithmetic is written for (budget.test.ts checks the defaults).
 */
export const testBudgetShares = { hooks: 0.5, firstReads: 0.3, safety: 0.2 } as const;

/** Shares that leave firstReads 0.3 and safety 0.7 without web hooks (half of hooks to each). */
export const noHookShares = { hooks: 0.4, firstReads: 0.1, safety: 0.5 } as const;

/** An emulator with one website and session (2 unread), and a relay on 127.0.0.1 reading it. */
export async function startHarness(
  options: Partial<UnreadRelayOptions> & {
    webhook?: boolean;
    website?: Partial<EmulatedWebsite>;
  } = {},
): Promise<Harness> {
  const { webhook, website: websiteOptions, ...relayOptions } = options;
  const emulator = await startCrispEmulator();
  const website = emulator.createWebsite(websiteOptions);
  const sessionId = emulator.createSession(website.websiteId, { unread: 2 });
  const logs: string[] = [];
  const relay = createUnreadRelay({
    ...emulator.restOptions(website),
    // Per-client limits have their own tests (clientLimits.test.ts); elsewhere every request
    // comes from 127.0.0.1 and would share one bucket.
    rateLimit: false,
    firstReadLimit: false,
    unknownSessionLimit: false,
    budgetShares: testBudgetShares,
    // Answers without a read have their own tests (assumed.test.ts); elsewhere a cold session
    // past its budget is the 503 those tests check.
    assumeUnseenSessions: false,
    log: (line) => logs.push(line),
    ...(webhook ? { webhookSecret } : {}),
    ...relayOptions,
  });
  const served = await serveUnreadRelay(relay, { port: 0 });
  if (webhook) {
    const target: WebhookTarget = {
      url: `${served.url}${relayOptions.basePath ?? ''}/webhooks/crisp`,
      secret: webhookSecret,
    };
    emulator.setWebhook(target);
  }
  const url = (path: string) => `${served.url}${path}`;
  return {
    emulator,
    website,
    sessionId,
    relay,
    served,
    logs,
    url,
    get: (path, init) => fetch(url(path), init),
    upstream: (session) => emulator.requestCount(session ? { sessionId: session } : {}),
    async close() {
      await served.close();
      await emulator.close();
    },
  };
}

/** Resolves once `predicate` holds, polling every few milliseconds; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline)
      throw new Error(`waitFor: ${what} did not hold within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves once the async `predicate` holds, polling; rejects after `timeoutMs`. */
export async function eventually(
  predicate: () => Promise<boolean>,
  what = 'condition',
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline)
      throw new Error(`eventually: ${what} did not hold within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A clock the test moves by hand. */
export function manualClock(start = Date.UTC(2026, 0, 15, 12)) {
  let at = start;
  return {
    now: () => at,
    advance(ms: number) {
      at += ms;
    },
    set(ms: number) {
      at = ms;
    },
  };
}

/** A real clock that reads `start` when created: real timers, a chosen time of day. */
export function shiftedClock(start = Date.UTC(2026, 0, 15, 23, 0)) {
  const offset = start - Date.now();
  return () => Date.now() + offset;
}

/** Reads an SSE response as raw text blocks (events and comments), for assertions. */
export function sseReader(response: Response) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const blocks: string[] = [];
  let done = false;
  const pump = (async () => {
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        let index = buffer.indexOf('\n\n');
        while (index !== -1) {
          blocks.push(buffer.slice(0, index));
          buffer = buffer.slice(index + 2);
          index = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // cancelled
    } finally {
      done = true;
    }
  })();
  return {
    blocks,
    get done() {
      return done;
    },
    counts: () =>
      blocks
        .filter((block) => block.startsWith('event: count'))
        .map((block) => JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as { count: number }),
    ids: () =>
      blocks.filter((b) => b.startsWith('event: count')).map((b) => /^id: (.*)$/m.exec(b)![1]!),
    async cancel() {
      await reader.cancel().catch(() => undefined);
      await pump;
    },
  };
}

/**
 * Fake timers and `Date` for the store and the relay while real HTTP runs on loopback (the I/O
 * callbacks, `setImmediate`, stay real). Undo with `vi.useRealTimers()`.
 */
export function useFakeClock(now = Date.UTC(2026, 0, 15, 12)): void {
  vi.useFakeTimers({
    now,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
}

/** Lets real I/O run until `idle()` holds for a few turns of the event loop in a row. */
export async function drain(idle: () => boolean): Promise<void> {
  let quiet = 0;
  for (let turns = 0; quiet < 5; turns++) {
    if (turns > 50_000) throw new Error('drain: the I/O never settled');
    await new Promise<void>((resolve) => setImmediate(resolve));
    quiet = idle() ? quiet + 1 : 0;
  }
}

/** Advances fake time by `ms` in steps, letting the I/O each step starts finish first. */
export async function runFor(ms: number, idle: () => boolean, stepMs = 50): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += stepMs) {
    await vi.advanceTimersByTimeAsync(Math.min(stepMs, ms - elapsed));
    await drain(idle);
  }
}
