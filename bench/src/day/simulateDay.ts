// Runs one simulated day (trafficModel.ts) against one server the pages talk to — the relay, or a
// baseline — on a virtual clock: every timer of the relay, of the pages' stores and of the
// traffic is a fake one (@sinonjs/fake-timers), and the clock moves to the next timer only once
// every request in flight has settled. So a day takes seconds, and the times measured are the
// times the code schedules (web hook delays, TTLs, polls, pacing), not this machine's speed.
import { randomUUID } from 'node:crypto';
import {
  createUnreadStore,
  crispRelay,
  type UnreadState,
  type UnreadStore,
} from '@crisp-unread/core';
import { memoryStore, type RelayStore } from '@crisp-unread/relay';
import { type CrispEmulator, type EmulatedWebsite, signCrispWebhook } from '@crisp-unread/testing';
import FakeTimers from '@sinonjs/fake-timers';
import { QueryClient } from '@tanstack/query-core';
import { type InProcessCrisp, inProcessCrisp } from './inProcessCrisp';
import type { ChatEvent, Day } from './trafficModel';

/** The sim's UTC day (the relay's budget and pacing follow its clock). */
export const dayStart = Date.UTC(2026, 0, 15);
const origin = 'http://relay.sim';
export const webhookSecret = 'relay-day-bench-webhook-secret';

/** A server under test, as the pages and Crisp's web hooks reach it. */
export interface Server {
  fetch(request: Request): Promise<Response>;
  close(): Promise<void>;
}

export interface ServerContext {
  crisp: InProcessCrisp;
  /** The relay store, already holding the returning visitors' counts from earlier days. */
  store: RelayStore;
  website: EmulatedWebsite;
}

export interface Variant {
  readonly name: string;
  /** Pages open the relay's SSE stream (else they poll every 30 s). */
  readonly stream: boolean;
  /** Crisp posts its web hooks to the server. */
  readonly hooks: boolean;
  /** Builds the server (called on the virtual clock, so that its `Date.now` is the sim's). */
  build(context: ServerContext): Server;
}

/** An attacker: `addresses` clients flooding random session ids and holding streams open. */
export interface Attack {
  readonly addresses: number;
  readonly startMs: number;
  readonly durationMs: number;
  /** Requests per second per address after the first burst (the relay's default refill). */
  readonly perSecond: number;
  /** Requests each address sends at once when it starts (the relay's default burst). */
  readonly burst: number;
  /** Streams each address opens on its own real session and holds for the whole attack. */
  readonly streamsPerAddress: number;
}

export interface DayResult {
  readonly variant: string;
  /** Crisp calls in the day, all of them, and those for sessions no visitor has. */
  readonly crispCalls: number;
  readonly attackerCalls: number;
  /** When the calls reached `budgetMark` (ms into the day), or `null`. */
  readonly budgetReachedAtMs: number | null;
  /** Event -> page samples (ms); `Infinity` for an event its page never showed within `missAfterMs`. */
  readonly latencies: number[];
  readonly pageViews: number;
  /** Page views whose every count was no older than its last event (see `freshWithinMs`). */
  readonly currentViews: number;
  /** Page views that never showed a count. */
  readonly countlessViews: number;
  /** Page views that showed `stale: true` at some point. */
  readonly staleViews: number;
  /** Page views marked `stale: true` at a moment their count equalled Crisp's (a false alarm). */
  readonly falseStaleViews: number;
  /** The pages' requests that were refused, by status and error code (`503 budget-exhausted`). */
  readonly refusals: Record<string, number>;
  readonly peakOpenPages: number;
  /** Real seconds the simulation took. */
  readonly seconds: number;
}

/** A count may lag its event this long and still count as current. */
export const freshWithinMs = 1000;
/** An event its page has not shown this long after is a miss. */
export const missAfterMs = 60_000;

interface Shown {
  /** [time, count] per change of the page's count; `null` while it shows none. */
  readonly changes: [number, number | null][];
  stale: boolean;
  /** [time, count] whenever the page started showing a count marked stale. */
  readonly staleMarks: [number, number][];
  readonly openAt: number;
  closeAt: number;
}

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function simulateDay(options: {
  emulator: CrispEmulator;
  day: Day;
  variant: Variant;
  attack?: Attack;
  /** Crisp calls to note the time of (the daily quota), or `null`. */
  budgetMark?: number | null;
}): Promise<DayResult> {
  const { emulator, day, variant, attack } = options;
  const began = performance.now();
  const website = emulator.createWebsite();
  const crisp = inProcessCrisp(emulator, website.websiteId);

  // Sessions: every visitor's (returning ones with their unread count from earlier days).
  const sessions = day.visitors.map((visitor) =>
    emulator.createSession(website.websiteId, { unread: visitor.unreadBefore }),
  );
  const known = new Set(sessions);
  const attackerSessions = attack
    ? Array.from({ length: attack.addresses }, () => emulator.createSession(website.websiteId))
    : [];
  /** Per session, [time, count] after each change (truth, as Crisp has it). */
  const truth = new Map<string, [number, number][]>(
    sessions.map((id, index) => [id, [[dayStart - 1, day.visitors[index]!.unreadBefore]]]),
  );

  const clock = FakeTimers.install({
    now: dayStart - 60_000,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    loopLimit: 100_000_000,
  });
  let server: Server | undefined;
  let inFlight = 0;
  const track = async <T>(work: Promise<T>): Promise<T> => {
    inFlight += 1;
    try {
      return await work;
    } finally {
      inFlight -= 1;
    }
  };
  const settle = async () => {
    for (let idle = 0; idle < 2; ) {
      await immediate();
      idle = inFlight + crisp.inFlight() === 0 ? idle + 1 : 0;
    }
  };
  const shownViews: Shown[] = [];
  const viewsBySession = new Map<string, Shown[]>();
  const open = new Set<() => void>();
  const refusals: Record<string, number> = {};
  try {
    const store = memoryStore();
    // The returning visitors' counts, as the relay stored them on earlier days.
    const retainMs = 30 * 86_400_000;
    await Promise.all(
      sessions.map(async (sessionId, index) => {
        const visitor = day.visitors[index]!;
        if (!visitor.returning) return;
        const readAt = dayStart - Math.round(86_400_000 * (1 + (index % 29)));
        await store.setCount(
          sessionId,
          { count: visitor.unreadBefore, readAt, changedAt: readAt },
          retainMs,
        );
      }),
    );
    const built = variant.build({ crisp, store, website });
    server = built;

    // A request's signal follows its init's signal only while the Request lives (undici holds the
    // link weakly); a server holds the socket instead, so here the Request is held until aborted.
    const live = new Set<Request>();
    const request = (path: string, address: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set('X-Forwarded-For', address);
      const made = new Request(`${origin}${path}`, { ...init, headers });
      const { signal } = init;
      if (signal && !signal.aborted) {
        live.add(made);
        signal.addEventListener('abort', () => live.delete(made), { once: true });
      }
      return track(built.fetch(made)).then((response) => {
        if (response.status >= 400 && address.startsWith('10.')) {
          void response
            .clone()
            .json()
            .then(
              (body: { error?: string }) => `${response.status} ${body.error ?? ''}`,
              () => String(response.status),
            )
            .then((key) => {
              refusals[key] = (refusals[key] ?? 0) + 1;
            });
        }
        return response;
      });
    };

    // A page: a store on crispRelay, as the examples run it, with the visitor's address.
    const openPage = (visitor: number, closeAt: number) => {
      const sessionId = sessions[visitor]!;
      const address = day.visitors[visitor]!.address;
      const source = crispRelay({
        url: origin,
        stream: variant.stream,
        idleTimeoutMs: 1_800_000,
        fetch: (input, init) => {
          const url = new URL(String(input));
          return request(`${url.pathname}${url.search}`, address, init);
        },
      });
      const pageStore: UnreadStore = createUnreadStore({
        source,
        sessionId,
        queryClient: new QueryClient(),
        pauseWhenHidden: false,
        crossTab: false,
        graceMs: 0,
      });
      const shown: Shown = {
        changes: [],
        stale: false,
        staleMarks: [],
        openAt: Date.now(),
        closeAt,
      };
      shownViews.push(shown);
      const list = viewsBySession.get(sessionId) ?? [];
      list.push(shown);
      viewsBySession.set(sessionId, list);
      let last: number | null | undefined;
      let lastMark: string | undefined;
      const record = (state: UnreadState) => {
        const count = state.status === 'ready' || state.status === 'error' ? state.count : null;
        if (state.stale) {
          shown.stale = true;
          if (count !== null && lastMark !== `${count}`) shown.staleMarks.push([Date.now(), count]);
        }
        lastMark = state.stale && count !== null ? `${count}` : undefined;
        if (count === last) return;
        last = count;
        shown.changes.push([Date.now(), count]);
      };
      const unsubscribe = pageStore.subscribe(record); // the current state at once, then changes
      const close = () => {
        open.delete(close);
        shown.closeAt = Date.now();
        unsubscribe();
        pageStore.dispose();
      };
      open.add(close);
      return close;
    };

    const hookEvent = {
      operator: 'message:received',
      'visitor-send': 'message:send',
      'visitor-read': 'message:acknowledge:read:received',
    } as const;
    const deliverHook = (sessionId: string, kind: ChatEvent['kind']) => {
      const timestamp = Date.now();
      const body = JSON.stringify({
        website_id: website.websiteId,
        event: hookEvent[kind],
        data: { website_id: website.websiteId, session_id: sessionId },
        timestamp,
      });
      return request('/webhooks/crisp', '203.0.113.1', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Crisp-Request-Timestamp': String(timestamp),
          'X-Crisp-Signature': signCrispWebhook(webhookSecret, timestamp, body),
        },
        body,
      }).then((response) => response.arrayBuffer());
    };
    const applyEvent = (event: ChatEvent) => {
      const sessionId = sessions[event.visitor]!;
      const before = emulator.unreadOf(website.websiteId, sessionId);
      if (event.kind === 'operator') emulator.operatorSends(website.websiteId, sessionId);
      else if (event.kind === 'visitor-send') emulator.visitorSends(website.websiteId, sessionId);
      else emulator.visitorReads(website.websiteId, sessionId);
      const after = emulator.unreadOf(website.websiteId, sessionId);
      if (after !== before) truth.get(sessionId)!.push([Date.now(), after]);
      // Crisp sends no hook for a read of nothing (as the emulator does).
      const hooked = event.kind !== 'visitor-read' || before !== 0;
      if (variant.hooks && hooked && !event.hookLost) {
        setTimeout(() => void deliverHook(sessionId, event.kind), event.hookDelayMs);
      }
    };

    // The agenda: page opens and closes, chat events, the attacker. One fake timer at a time runs
    // what is due (fake-timers finds its next timer by scanning them all).
    const agenda = new Agenda();
    for (const page of day.pages) {
      agenda.add(dayStart + page.openAt, () => {
        agenda.add(dayStart + page.closeAt, openPage(page.visitor, dayStart + page.closeAt));
      });
    }
    for (const event of day.events) agenda.add(dayStart + event.at, () => applyEvent(event));
    if (attack) scheduleAttack(attack, attackerSessions, agenda, request);
    const end = dayStart + day.lengthMs;
    agenda.add(end, () => {});
    const runDue = () => {
      agenda.runUntil(Date.now());
      const at = agenda.nextAt();
      if (at !== undefined) setTimeout(runDue, at - Date.now());
    };
    setTimeout(runDue, dayStart - Date.now());
    while (Date.now() < end) {
      await clock.nextAsync();
      await settle();
    }
  } finally {
    for (const close of [...open]) close();
    await settle();
    await server?.close();
    clock.uninstall();
  }

  return summarize({
    variant: variant.name,
    crisp,
    known,
    truth,
    viewsBySession,
    shownViews,
    refusals,
    day,
    budgetMark: options.budgetMark ?? null,
    seconds: (performance.now() - began) / 1000,
  });
}

/** Things to do at given times: a binary heap on time, first in first out at equal times. */
class Agenda {
  readonly #heap: [at: number, order: number, run: () => void][] = [];
  #order = 0;

  add(at: number, run: () => void): void {
    const heap = this.#heap;
    heap.push([at, this.#order++, run]);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  nextAt(): number | undefined {
    return this.#heap[0]?.[0];
  }

  runUntil(now: number): void {
    while (this.#heap.length > 0 && this.#heap[0]![0] <= now) this.#pop()();
  }

  #before(a: number, b: number): boolean {
    const [x, y] = [this.#heap[a]!, this.#heap[b]!];
    return x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]);
  }

  #pop(): () => void {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const [left, right] = [2 * i + 1, 2 * i + 2];
        let smallest = i;
        if (left < heap.length && this.#before(left, smallest)) smallest = left;
        if (right < heap.length && this.#before(right, smallest)) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top[2];
  }
}

function scheduleAttack(
  attack: Attack,
  attackerSessions: string[],
  agenda: Agenda,
  request: (path: string, address: string, init?: RequestInit) => Promise<Response>,
) {
  const start = dayStart + attack.startMs;
  const end = start + attack.durationMs;
  const held: AbortController[] = [];
  const flood = (address: string) => {
    const id = `session_${randomUUID()}`;
    void request(`/sessions/${id}/unread`, address).then(
      (response) => response.arrayBuffer(),
      () => {},
    );
  };
  for (let a = 0; a < attack.addresses; a++) {
    const address = `198.51.${a >> 8}.${a & 255}`;
    agenda.add(start, () => {
      for (let i = 0; i < attack.burst; i++) flood(address);
      for (let i = 0; i < attack.streamsPerAddress; i++) {
        const controller = new AbortController();
        held.push(controller);
        void request(`/sessions/${attackerSessions[a]}/unread/stream`, address, {
          signal: controller.signal,
        }).then(
          (response) => {
            // Held open, never read: what a flood of idle connections costs the relay.
            if (response.status !== 200) void response.arrayBuffer();
          },
          () => {},
        );
      }
    });
  }
  for (let at = start + 1000; at < end; at += 1000) {
    agenda.add(at, () => {
      for (let a = 0; a < attack.addresses; a++) {
        for (let i = 0; i < attack.perSecond; i++) flood(`198.51.${a >> 8}.${a & 255}`);
      }
    });
  }
  agenda.add(end, () => {
    for (const controller of held.splice(0)) controller.abort();
  });
}

function summarize(input: {
  variant: string;
  crisp: InProcessCrisp;
  known: Set<string>;
  truth: Map<string, [number, number][]>;
  viewsBySession: Map<string, Shown[]>;
  shownViews: Shown[];
  refusals: Record<string, number>;
  day: Day;
  budgetMark: number | null;
  seconds: number;
}): DayResult {
  const { crisp, known, truth, viewsBySession, shownViews } = input;
  let attackerCalls = 0;
  for (const [sessionId, calls] of crisp.calls.bySession) {
    if (!known.has(sessionId)) attackerCalls += calls;
  }
  const mark = input.budgetMark;
  const reached =
    mark !== null && crisp.calls.times.length >= mark ? crisp.calls.times[mark - 1]! : null;

  const shownAt = (view: Shown, at: number): number | null | undefined => {
    let value: number | null | undefined;
    for (const [time, count] of view.changes) {
      if (time > at) break;
      value = count;
    }
    return value;
  };
  /** The counts Crisp held at some moment of [from, to]. */
  const truthIn = (history: [number, number][], from: number, to: number) => {
    const values = new Set<number>();
    let before: number | undefined;
    for (const [time, count] of history) {
      if (time <= from) before = count;
      else if (time <= to) values.add(count);
    }
    if (before !== undefined) values.add(before);
    return values;
  };

  const latencies: number[] = [];
  let currentViews = 0;
  let countlessViews = 0;
  let staleViews = 0;
  let falseStaleViews = 0;
  /** What Crisp held at `at`. */
  const truthAt = (history: [number, number][], at: number) => {
    let value: number | undefined;
    for (const [time, count] of history) {
      if (time > at) break;
      value = count;
    }
    return value;
  };
  for (const [sessionId, views] of viewsBySession) {
    const history = truth.get(sessionId)!;
    for (const view of views) {
      if (view.stale) staleViews += 1;
      if (view.staleMarks.some(([at, count]) => truthAt(history, at) === count)) {
        falseStaleViews += 1;
      }
      const first = view.changes.find(([, count]) => count !== null);
      if (!first) {
        countlessViews += 1;
        continue;
      }
      // Checked at its first count, `freshWithinMs` after each change in Crisp, and at its close.
      const checks = [first[0], view.closeAt];
      for (const [time] of history) {
        if (time >= first[0] && time + freshWithinMs < view.closeAt)
          checks.push(time + freshWithinMs);
      }
      const current = checks.every((at) => {
        const count = shownAt(view, at);
        return (
          count !== null &&
          count !== undefined &&
          truthIn(history, at - freshWithinMs, at).has(count)
        );
      });
      if (current) currentViews += 1;
    }
    // Each change in Crisp, to each page open at that moment.
    for (let i = 1; i < history.length; i++) {
      const [at, count] = history[i]!;
      const nextChange = history[i + 1]?.[0] ?? Number.POSITIVE_INFINITY;
      for (const view of views) {
        if (view.openAt > at || view.closeAt <= at) continue;
        const hit = view.changes.find(([time, shown]) => time >= at && shown === count);
        const showing = shownAt(view, at) === count;
        if (showing) latencies.push(0);
        else if (hit && hit[0] < nextChange && hit[0] < view.closeAt) {
          latencies.push(hit[0] - at < missAfterMs ? hit[0] - at : Number.POSITIVE_INFINITY);
        } else if (Math.min(nextChange, view.closeAt) - at >= missAfterMs) {
          latencies.push(Number.POSITIVE_INFINITY);
        }
      }
    }
  }
  return {
    variant: input.variant,
    crispCalls: crisp.calls.total,
    attackerCalls,
    budgetReachedAtMs: reached === null ? null : reached - dayStart,
    latencies,
    pageViews: shownViews.length,
    currentViews,
    countlessViews,
    staleViews,
    falseStaleViews,
    refusals: input.refusals,
    peakOpenPages: input.day.peakOpenPages,
    seconds: input.seconds,
  };
}
