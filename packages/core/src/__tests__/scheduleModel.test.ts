import { QueryClient } from '@tanstack/query-core';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUnreadStore } from '../createUnreadStore';
import { crispRelay } from '../crispRelay';
import { crispRest } from '../crispRest';
import type { UnreadErrorCode } from '../errors';
import type { UnreadState, UnreadStore } from '../types';
import { conversation } from './emulator';
import { sessionA, websiteId } from './sources';

// A model test of the store's failure schedule: random answers from Crisp (through crispRest) or
// from a relay (through crispRelay), from a cold session or a read one, at the `fetch` level on a
// fake clock. The model says when the next request may come after each answer; the store must
// keep within it, show `error` throughout a failure run, make no request once halted, and poll at
// `pollIntervalMs` once recovered. (The same figures against the real emulator and relay are in
// failureSchedule.test.ts and the relay's pageFailures.test.ts.)

const pollIntervalMs = 30_000;
const baseDelayMs = 1000;
const maxDelayMs = 300_000;
const timeoutMs = 2000;

/** What the model expects of an answer. */
type Meaning =
  | { kind: 'count'; count: number }
  | { kind: 'transient'; code: UnreadErrorCode; retryAfterMs?: number }
  | { kind: 'limit'; retryAfterMs?: number }
  | { kind: 'halt'; code: UnreadErrorCode };

/** One scripted answer: how the fake `fetch` answers, and what it means. */
interface Answer {
  name: string;
  respond(signal: AbortSignal): Promise<Response>;
  meaning: Meaning;
}

const respond =
  (status: number, body: string, headers: Record<string, string> = {}) =>
  async () =>
    new Response(body, { status, headers: { 'Content-Type': 'application/json', ...headers } });

const hang = (signal: AbortSignal) =>
  new Promise<Response>((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

const drop = async (): Promise<Response> => {
  throw new TypeError('fetch failed');
};

const crispBody = (visitor: number) => JSON.stringify(conversation({ visitor }));

const restAnswers = (count: number, retryAfter: number): Answer[] => [
  { name: '200', respond: respond(200, crispBody(count)), meaning: { kind: 'count', count } },
  {
    name: '500',
    respond: respond(500, '{"error":true,"reason":"server_error","data":{}}'),
    meaning: { kind: 'transient', code: 'server' },
  },
  {
    name: 'html 502',
    respond: respond(502, '<html><body>Bad Gateway</body></html>', { 'Content-Type': 'text/html' }),
    meaning: { kind: 'transient', code: 'server' },
  },
  {
    name: 'truncated JSON',
    respond: respond(200, crispBody(count).slice(0, 40)),
    meaning: { kind: 'transient', code: 'invalid-response' },
  },
  { name: 'dropped', respond: drop, meaning: { kind: 'transient', code: 'network' } },
  { name: 'timeout', respond: hang, meaning: { kind: 'transient', code: 'timeout' } },
  ...[420, 429].flatMap((status): Answer[] => [
    {
      name: `${status}`,
      respond: respond(status, '{"error":true,"reason":"rate_limited","data":{}}'),
      meaning: { kind: 'limit' },
    },
    {
      name: `${status} Retry-After ${retryAfter}`,
      respond: respond(status, '{"error":true,"reason":"rate_limited","data":{}}', {
        'Retry-After': String(retryAfter),
      }),
      meaning: { kind: 'limit', retryAfterMs: retryAfter * 1000 },
    },
  ]),
  {
    name: '401',
    respond: respond(401, '{"error":true,"reason":"invalid_session","data":{}}'),
    meaning: { kind: 'halt', code: 'unauthorized' },
  },
  {
    name: '403',
    respond: respond(403, '{"error":true,"reason":"not_allowed","data":{}}'),
    meaning: { kind: 'halt', code: 'forbidden' },
  },
];

const relayError = (status: number, error: string, retryAfter?: number) =>
  respond(
    status,
    JSON.stringify({ error, message: 'said' }),
    retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) },
  );

const relayAnswers = (count: number, retryAfter: number): Answer[] => [
  {
    name: 'relay 200',
    respond: respond(200, JSON.stringify({ count, updatedAt: 1, stale: false })),
    meaning: { kind: 'count', count },
  },
  ...(
    [
      [500, 'misconfigured', 'misconfigured'],
      [502, 'upstream-unauthorized', 'unauthorized'],
      [502, 'upstream-forbidden', 'forbidden'],
      [502, 'upstream-not-subscribed', 'misconfigured'],
      [404, 'session-not-found', 'session-not-found'],
      [400, 'invalid-session-id', 'misconfigured'],
    ] as const
  ).map(
    ([status, error, code]): Answer => ({
      name: `relay ${status} ${error}`,
      respond: relayError(status, error),
      meaning: { kind: 'halt', code },
    }),
  ),
  ...(
    [
      [503, 'budget-exhausted'],
      [429, 'rate-limited'],
      [429, 'too-many-streams'],
      [503, 'too-many-streams'],
    ] as const
  ).map(
    ([status, error]): Answer => ({
      name: `relay ${status} ${error}`,
      respond: relayError(status, error, retryAfter),
      meaning: { kind: 'limit', retryAfterMs: retryAfter * 1000 },
    }),
  ),
  ...([502, 504] as const).map(
    (status): Answer => ({
      name: `relay ${status} upstream-unavailable`,
      respond: relayError(status, 'upstream-unavailable'),
      meaning: { kind: 'transient', code: status === 504 ? 'timeout' : 'server' },
    }),
  ),
  {
    name: 'relay 503 upstream-unavailable Retry-After',
    respond: relayError(503, 'upstream-unavailable', retryAfter),
    meaning: { kind: 'transient', code: 'server', retryAfterMs: retryAfter * 1000 },
  },
  {
    name: 'relay html 502',
    respond: respond(502, '<html>Bad Gateway</html>', { 'Content-Type': 'text/html' }),
    meaning: { kind: 'transient', code: 'server' },
  },
  { name: 'relay dropped', respond: drop, meaning: { kind: 'transient', code: 'network' } },
  { name: 'relay timeout', respond: hang, meaning: { kind: 'transient', code: 'timeout' } },
];

/** The wait after the `failures`-th failure in a row with this meaning: [least, most] ms. */
function window(meaning: Meaning, failures: number): [number, number] {
  if (meaning.kind === 'count') return [pollIntervalMs, pollIntervalMs];
  if (meaning.kind === 'halt') return [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
  const bound = Math.min(maxDelayMs, baseDelayMs * 2 ** (failures - 1));
  if (meaning.kind === 'limit') {
    if (meaning.retryAfterMs !== undefined) return [meaning.retryAfterMs, meaning.retryAfterMs];
    return [
      pollIntervalMs,
      Math.max(pollIntervalMs, Math.min(maxDelayMs, pollIntervalMs * 2 ** (failures - 1))),
    ];
  }
  const floor = meaning.retryAfterMs ?? 0;
  return [Math.max(bound / 2, floor), Math.max(bound, floor)];
}

let client: QueryClient;
let store: UnreadStore | undefined;

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});

afterEach(() => {
  store?.dispose();
  client?.clear();
  vi.useRealTimers();
});

interface Sent {
  at: number;
  answer: Answer;
}

/** Runs one script to its end: the requests made and every state shown. */
async function run(from: 'rest' | 'relay', script: Answer[], random: () => number) {
  client?.clear();
  client = new QueryClient();
  const requests: Sent[] = [];
  const good = (from === 'rest' ? restAnswers : relayAnswers)(7, 1)[0]!;
  const fetch = (_url: string, init?: RequestInit) => {
    const answer = script[requests.length] ?? good;
    requests.push({ at: Date.now(), answer });
    return answer.respond(init?.signal ?? new AbortController().signal);
  };
  const source =
    from === 'rest'
      ? crispRest({ websiteId, identifier: 'id', key: 'key', fetch, timeoutMs })
      : crispRelay({ url: 'http://127.0.0.1:9/relay', fetch, timeoutMs });
  store?.dispose();
  store = createUnreadStore({
    source,
    sessionId: sessionA,
    queryClient: client,
    graceMs: 0,
    crossTab: false,
    pollIntervalMs,
    retry: { baseDelayMs, maxDelayMs, random },
  });
  const states: UnreadState[] = [];
  const subscription = store.state$.subscribe((state) => states.push(state));
  const halts = script.findIndex((answer) => answer.meaning.kind === 'halt');
  // To the halt and an hour past it, or through the script and three polls after it.
  const wanted = halts === -1 ? script.length + 3 : halts + 1;
  const deadline = Date.now() + 24 * 60 * 60 * 1000;
  while (requests.length < wanted && Date.now() < deadline) {
    await vi.advanceTimersToNextTimerAsync();
  }
  await vi.advanceTimersByTimeAsync(halts === -1 ? 0 : 60 * 60 * 1000);
  subscription.unsubscribe();
  return { requests, states, halts };
}

/** Checks the requests and states of one run against the model. */
function check({ requests, states, halts }: Awaited<ReturnType<typeof run>>) {
  // A halted store makes no request after the halting answer.
  if (halts !== -1) expect(requests).toHaveLength(halts + 1);
  let failures = 0;
  for (let i = 0; i + 1 < requests.length; i++) {
    const { at, answer } = requests[i]!;
    const { meaning } = answer;
    failures = meaning.kind === 'count' ? 0 : failures + 1;
    const answeredAt = at + (answer.respond === hang ? timeoutMs : 0);
    const [least, most] = window(meaning, failures);
    const gap = requests[i + 1]!.at - answeredAt;
    const said = `request ${i + 1} (${answer.name}, failure ${failures}) waited ${gap} ms`;
    expect(gap, said).toBeGreaterThanOrEqual(least - 1);
    expect(gap, said).toBeLessThanOrEqual(most + 1);
  }
  // From the first failure to the next good read, the status stays `error` (or `no-session` for a
  // gone session) and the count is the last good one or null.
  let lastGood: number | null = null;
  let failing = false;
  for (const state of states) {
    if (state.status === 'ready') {
      failing = false;
      lastGood = state.count;
    } else if (failing) {
      expect(['error', 'no-session']).toContain(state.status);
      if (state.status === 'error') {
        expect(state.count).toBe(lastGood);
        expect(state.stale).toBe(lastGood !== null);
      }
    }
    if (state.status === 'error') failing = true;
  }
}

describe('the failure schedule (model)', () => {
  for (const from of ['rest', 'relay'] as const) {
    it(`keeps every request within the model's window (${from})`, async () => {
      const answers = (from === 'rest' ? restAnswers : relayAnswers)(3, 2);
      const [good, ...failures] = answers;
      await fc.assert(
        fc.asyncProperty(
          fc.boolean(),
          fc.array(fc.constantFrom(...failures, good!, good!), { minLength: 1, maxLength: 10 }),
          fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          async (read, answers, draw) => {
            const script = read ? [good!, ...answers] : answers;
            check(await run(from, script, () => draw));
          },
        ),
        { numRuns: 500 },
      );
    });
  }

  it('bounds a never-read session failing with 5xx to 10 requests in any 20 s', async () => {
    const transient = restAnswers(1, 1).filter((answer) => answer.meaning.kind === 'transient');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...transient), { minLength: 12, maxLength: 12 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        async (script, draw) => {
          const { requests } = await run('rest', script, () => draw);
          for (const [i, { at }] of requests.entries()) {
            const inWindow = requests.slice(i).filter((other) => other.at < at + 20_000);
            expect(inWindow.length).toBeLessThanOrEqual(10);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
