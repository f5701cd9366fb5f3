// Requests in the first 60 s of a never-read session while Crisp answers 500: the store with its
// defaults, beside TanStack Query's default retry (the anchor) and a naive poller, in the same run.
// A virtual clock (@sinonjs/fake-timers: timers and Date) runs the 60 s in well under a second of
// real HTTP against the emulator: the clock moves 50 ms at a time, and only once the requests a
// step started have been answered, so each figure is what the code schedules, not the machine.
import { createUnreadStore, crispRest } from '@crisp-unread/core';
import FakeTimers from '@sinonjs/fake-timers';
import { environmentManager, QueryClient, QueryObserver } from '@tanstack/query-core';
import { type Case, naivePoller, newCase, startEmulator } from '../emulator';
import type { Row } from '../util';

const windowMs = 60_000;
const pollIntervalMs = 30_000;
const stepMs = 50;

type Clock = ReturnType<typeof FakeTimers.install>;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Moves the virtual clock through the window, letting the real I/O of each step finish first. */
async function runWindow(clock: Clock, idle: () => boolean): Promise<void> {
  for (let at = 0; at < windowMs; at += stepMs) {
    await clock.tickAsync(Math.min(stepMs, windowMs - 1 - at));
    for (let quiet = 0, turns = 0; quiet < 5; turns++) {
      if (turns > 100_000) throw new Error('bench: the I/O of a step never settled');
      await turn();
      quiet = idle() ? quiet + 1 : 0;
    }
  }
}

/** A fresh failing session, and its conversation's URL and headers for the baselines. */
function failingCase(emulator: Case['emulator']) {
  const c = newCase(emulator);
  emulator.fault({ type: 'server-error' }, { sessionId: c.sessionId });
  const { website, sessionId } = c;
  const url = `${emulator.url}/v1/website/${website.websiteId}/conversation/${sessionId}`;
  const headers = {
    Authorization: `Basic ${btoa(`${website.identifier}:${website.key}`)}`,
    'X-Crisp-Tier': website.tier,
  };
  return { c, url, headers };
}

/** The store, every option at its default. */
async function store(emulator: Case['emulator'], clock: Clock): Promise<number> {
  const { c } = failingCase(emulator);
  const queryClient = new QueryClient();
  const unread = createUnreadStore({
    source: crispRest(emulator.restOptions(c.website)),
    sessionId: c.sessionId,
    queryClient,
  });
  const unsubscribe = unread.subscribe(() => {});
  await runWindow(clock, () => queryClient.isFetching() === 0);
  unsubscribe();
  unread.dispose();
  queryClient.clear();
  return c.gets();
}

/**
 * TanStack Query as an app uses it in a page: a query with its defaults (3 retries, waits of
 * min(1 s × 2^n, 30 s)) and `refetchInterval` at the store's poll interval. query-core treats Node
 * as a server (no retry, no interval timers): this measurement alone runs it as a browser.
 */
async function tanstack(emulator: Case['emulator'], clock: Clock): Promise<number> {
  environmentManager.setIsServer(() => false);
  try {
    return await tanstackInPage(emulator, clock);
  } finally {
    environmentManager.setIsServer(() => typeof window === 'undefined' || 'Deno' in globalThis);
  }
}

async function tanstackInPage(emulator: Case['emulator'], clock: Clock): Promise<number> {
  const { c, url, headers } = failingCase(emulator);
  const queryClient = new QueryClient();
  let inFlight = 0;
  const observer = new QueryObserver(queryClient, {
    queryKey: ['unread', c.sessionId],
    queryFn: async ({ signal }) => {
      inFlight++;
      try {
        const response = await fetch(url, { headers, signal });
        if (!response.ok) throw new Error(`Crisp answered ${response.status}`);
        return ((await response.json()) as { data?: { unread?: { visitor?: number } } }).data
          ?.unread?.visitor;
      } finally {
        inFlight--;
      }
    },
    refetchInterval: pollIntervalMs,
  });
  const unsubscribe = observer.subscribe(() => {});
  // Not `isFetching()`: a query waiting to retry counts as fetching.
  await runWindow(clock, () => inFlight === 0);
  unsubscribe();
  queryClient.clear();
  return c.gets();
}

/** The naive baseline of the other rows: `setInterval` + `fetch` at the poll interval. */
async function naive(emulator: Case['emulator'], clock: Clock): Promise<number> {
  const { c } = failingCase(emulator);
  let answered = 0;
  const stop = naivePoller(c, pollIntervalMs, () => answered++);
  await runWindow(clock, () => answered === c.gets());
  stop();
  return c.gets();
}

export async function failingSessionRows(log: (line: string) => void): Promise<Row[]> {
  log('a never-read session, Crisp answering 500: requests in the first 60 s (virtual clock)');
  const emulator = await startEmulator();
  const figures: number[] = [];
  try {
    for (const variant of [store, tanstack, naive]) {
      const clock = FakeTimers.withGlobal(globalThis).install({
        toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
        now: Date.now(),
        // fetch's keep-alive sockets from the rows before hold native timers it clears meanwhile.
        shouldClearNativeTimers: true,
      });
      try {
        figures.push(await variant(emulator, clock));
      } finally {
        clock.uninstall();
      }
    }
  } finally {
    await emulator.close();
  }
  const [ours, anchor, naiveFigure] = figures as [number, number, number];
  // The schedule's bound: failure n waits at least half of min(5 min, 1 s × 2^(n-1)), so the
  // requests at 0 and after waits of at least 0.5, 1, 2, 4, 8, 16 s all fit in 60 s, no more.
  const bound = 7;
  const row = (baseline: number, baselineLabel: string): Row => ({
    group: 'requests',
    metric: 'failing never-read session: requests in the first 60 s (Crisp 500)',
    value: ours,
    unit: 'requests',
    baseline,
    baselineLabel,
    goal: `<= ${bound}`,
    pass: ours <= bound,
  });
  return [
    row(anchor, 'TanStack Query defaults (3 retries) + 30 s refetchInterval'),
    {
      ...row(naiveFigure, 'naive setInterval+fetch, 30 s'),
      note: 'the naive poller never retries: it reads a failing session late',
    },
  ];
}
