// `pnpm demo`: a scripted tour of the store on the embedded Crisp emulator (no credentials), or one
// read of the real Crisp when CRISP_WEBSITE_ID, CRISP_IDENTIFIER, CRISP_KEY and CRISP_SESSION_ID are set.
import { randomBytes } from 'node:crypto';
import {
  createUnreadStore,
  crispRelay,
  crispRest,
  type UnreadState,
  type UnreadStore,
} from '@crisp-unread/core';
import { createUnreadRelay } from '@crisp-unread/relay';
import { serveUnreadRelay } from '@crisp-unread/relay/node';
import { type CrispEmulator, startCrispEmulator } from '@crisp-unread/testing';
import { BehaviorSubject, filter, firstValueFrom, timeout } from 'rxjs';

const started = Date.now();
const pollIntervalMs = 500;

function line(text: string) {
  const at = `+${((Date.now() - started) / 1000).toFixed(2)}s`.padStart(8);
  console.log(`${at}  ${text}`);
}

function describe(state: UnreadState): string {
  const count = state.count === null ? '–' : String(state.count);
  const error = state.error
    ? `  ${state.error.code}${state.error.status ? ` ${state.error.status}` : ''}`
    : '';
  // A count the source could not refresh (the relay said so, or the reads fail) is shown, marked.
  const stale = state.stale ? '  (stale)' : '';
  return `${state.status.padEnd(10)} count: ${count.padEnd(3)}${error}${stale}`;
}

/** Prints each change of status, count or error: not the timestamp-only changes of a poll. */
function printTransitions(store: UnreadStore, requests: () => string) {
  let last = '';
  return store.state$.subscribe((state) => {
    const text = describe(state);
    if (text === last) return;
    last = text;
    line(`${text}${requests()}`);
  });
}

function until(store: UnreadStore, what: string, predicate: (state: UnreadState) => boolean) {
  return firstValueFrom(
    store.state$.pipe(
      filter(predicate),
      timeout({
        first: 20_000,
        with: () => Promise.reject(new Error(`the demo waited 20 s for: ${what}`)),
      }),
    ),
  );
}

const step = (text: string) => console.log(`\n  ${text}`);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function realCrisp(env: Record<string, string>) {
  console.log('Reading the real Crisp (one read, then exit).');
  const store = createUnreadStore({
    source: crispRest({
      websiteId: env.CRISP_WEBSITE_ID!,
      identifier: env.CRISP_IDENTIFIER!,
      key: env.CRISP_KEY!,
      ...(env.CRISP_API_URL ? { baseUrl: env.CRISP_API_URL } : {}),
    }),
    sessionId: env.CRISP_SESSION_ID!,
  });
  const printing = printTransitions(store, () => '');
  const state = await until(
    store,
    'a first answer',
    (s) => s.status !== 'loading' && s.status !== 'idle',
  );
  printing.unsubscribe();
  store.dispose();
  if (state.status === 'error') process.exitCode = 1;
}

async function emulated() {
  const emulator: CrispEmulator = await startCrispEmulator();
  const website = emulator.createWebsite();
  const upstream = () => `  (upstream requests: ${emulator.requests.length})`;
  console.log(
    `Crisp emulator on ${emulator.url}; website ${website.websiteId}; polling every ${pollIntervalMs} ms.`,
  );
  console.log('Three consumers (a badge, the tab title, a logger) share one store.\n');

  const session$ = new BehaviorSubject<string | null>(null);
  const store = createUnreadStore({
    source: crispRest({
      ...emulator.restOptions(website),
      timeoutMs: 2000,
    }),
    sessionId: session$,
    pollIntervalMs,
    retry: { baseDelayMs: 250, maxDelayMs: 4000 },
  });
  step('No session yet: nothing to count, and no request.');
  const badge = store.unreadCount$.subscribe();
  const unsubscribeTitle = store.subscribe(() => {});
  const logger = printTransitions(store, upstream);
  const consumers = 3;

  try {
    await until(store, 'no-session', (s) => s.status === 'no-session');
    await pause(1200);

    step('The visitor opens the chat: a session appears and is read at once.');
    const sessionId = emulator.createSession(website.websiteId);
    session$.next(sessionId);
    await until(store, 'count 0', (s) => s.status === 'ready' && s.count === 0);

    step('The operator replies twice.');
    emulator.operatorSends(website.websiteId, sessionId, 1);
    await until(store, 'count 1', (s) => s.count === 1);
    emulator.operatorSends(website.websiteId, sessionId, 1);
    await until(store, 'count 2', (s) => s.count === 2);

    step('The visitor reads them.');
    emulator.visitorReads(website.websiteId, sessionId);
    await until(store, 'count 0', (s) => s.count === 0);

    step(
      'A storm of rate limits (429 with Retry-After: 1, then 420 and 429 without): the store backs off.',
    );
    emulator.fault({ type: 'rate-limit', status: 429, retryAfter: 1 }, { times: 1 });
    emulator.fault({ type: 'rate-limit', status: 420 }, { times: 1 });
    emulator.fault({ type: 'rate-limit', status: 429 }, { times: 2 });
    const stormStart = emulator.requests.length;
    await until(store, 'rate-limited', (s) => s.error?.code === 'rate-limited');
    emulator.operatorSends(website.websiteId, sessionId, 1);

    step('Crisp recovers: the last good count stayed on screen, and the new one arrives.');
    await until(store, 'recovery with count 1', (s) => s.status === 'ready' && s.count === 1);
    const stormRequests = emulator.requests.length - stormStart;

    const seconds = (Date.now() - started) / 1000;
    const made = emulator.requests.length;
    const naive = Math.round((seconds - 1.2) * (1000 / pollIntervalMs)) * consumers;
    console.log('\nSummary (part 1)');
    console.log(`  upstream requests made:            ${made} in ${seconds.toFixed(1)} s`);
    console.log(
      `  of which during the rate-limit storm: ${stormRequests} (backed off, not hammered)`,
    );
    console.log(`  naive setInterval+fetch per consumer: about ${naive}`);
    console.log(`  by status: ${summarize(emulator)}`);
  } finally {
    badge.unsubscribe();
    unsubscribeTitle();
    logger.unsubscribe();
    store.dispose();
  }
  try {
    await relayTour(emulator);
  } finally {
    await emulator.close();
  }
}

/**
 * Part 2: browsers never hold the key. A relay reads Crisp for them, gets Crisp's signed web hooks,
 * and pushes each new count over Server-Sent Events: Crisp calls follow chat events, not time.
 */
async function relayTour(emulator: CrispEmulator) {
  console.log('\nPart 2 — the relay: the key stays on the server, pages get pushes.');
  const website = emulator.createWebsite();
  const webhookSecret = randomBytes(24).toString('hex');
  const relay = createUnreadRelay({
    ...emulator.restOptions(website),
    webhookSecret,
    rateLimit: false,
    log: false,
  });
  let pageRequests = 0;
  const served = await serveUnreadRelay(
    {
      ...relay,
      fetch(request, ...rest) {
        if (new URL(request.url).pathname.startsWith('/sessions/')) pageRequests += 1;
        return relay.fetch(request, ...rest);
      },
    },
    { port: 0 },
  );
  emulator.setWebhook({ url: `${served.url}/webhooks/crisp`, secret: webhookSecret });
  const crispCalls = () => emulator.requestCount({ websiteId: website.websiteId });
  const visitors = 10;
  const sessions = Array.from({ length: visitors }, () =>
    emulator.createSession(website.websiteId),
  );
  const began = Date.now();
  // Each visitor's page: crispRelay with the SSE stream, no key anywhere near it.
  const pages = sessions.map((sessionId) =>
    createUnreadStore({
      source: crispRelay({ url: served.url, stream: true }),
      sessionId,
      pollIntervalMs,
    }),
  );
  const open = pages.map((page) => page.unreadCount$.subscribe());
  try {
    await Promise.all(pages.map((page) => until(page, 'ready', (s) => s.status === 'ready')));
    line(`${visitors} visitors' pages show their count  (Crisp requests: ${crispCalls()})`);

    step(
      "The operator answers visitors 1, 2 and 3: web hook -> relay, at the hook's word -> push.",
    );
    for (const sessionId of sessions.slice(0, 3)) {
      emulator.operatorSends(website.websiteId, sessionId, 1);
    }
    await Promise.all(
      pages.slice(0, 3).map((page) => until(page, 'count 1', (s) => s.count === 1)),
    );
    line(`visitors 1-3 show 1, the others 0  (Crisp requests: ${crispCalls()})`);

    step('Visitor 1 reads: a read receipt says less, so the relay reads Crisp once and pushes.');
    emulator.visitorReads(website.websiteId, sessions[0]!);
    await until(pages[0]!, 'count 0', (s) => s.count === 0);
    line(`visitor 1 shows 0 again  (Crisp requests: ${crispCalls()})`);
    await pause(2000);

    const seconds = (Date.now() - began) / 1000;
    const naive = Math.round(seconds * (1000 / pollIntervalMs)) * visitors;
    console.log('\nSummary (part 2)');
    console.log(
      `  Crisp requests made by the relay:    ${crispCalls()} in ${seconds.toFixed(1)} s (${visitors} cold reads + 1 per read receipt; operators' messages need none)`,
    );
    console.log(
      `  page requests to the relay:          ${pageRequests} (streams and polls, answered from its cache)`,
    );
    console.log(`  naive pages polling Crisp with a key: about ${naive}`);
  } finally {
    for (const subscription of open) subscription.unsubscribe();
    for (const page of pages) page.dispose();
    await served.close();
  }
}

function summarize(emulator: CrispEmulator): string {
  const counts = new Map<number, number>();
  for (const request of emulator.requests)
    counts.set(request.status, (counts.get(request.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${status} × ${n}`).join(', ');
}

const env = process.env as Record<string, string>;
const wantsReal = ['CRISP_WEBSITE_ID', 'CRISP_IDENTIFIER', 'CRISP_KEY', 'CRISP_SESSION_ID'].every(
  (name) => env[name],
);

(wantsReal ? realCrisp(env) : emulated()).catch((error: unknown) => {
  console.error(`\nThe demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
