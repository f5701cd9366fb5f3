// Runs one simulated day (trafficModel.ts) against one server the pages talk to — the relay, or a
// baseline — on a virtual clock: every timer of the relay, of the pages' stores and of the
// traffic is one of the sim clock's (simClock.ts, a heap), and the clock moves to the next timer
// only once every request in flight has settled. So a day takes minutes, and the times measured
// are the times the code schedules (web hook delays, TTLs, polls, pacing, heartbeats), not this
// machine's speed.
import { randomUUID } from 'node:crypto';
import {
  createUnreadStore,
  crispRelay,
  type UnreadState,
  type UnreadStore,
} from '@crisp-unread/core';
import { memoryStore, type RelayStore } from '@crisp-unread/relay';
import { type CrispEmulator, type EmulatedWebsite, signCrispWebhook } from '@crisp-unread/testing';
import { QueryClient } from '@tanstack/query-core';
import { measureViews, type Shown, type TruthChange, type ViewMeasures } from './dayMeasures';
import { retentionOf, seedEarlierDays } from './earlierDays';
import { type InProcessCrisp, inProcessCrisp } from './inProcessCrisp';
import { PageFocus, routeFocusPerPage } from './pageFocus';
import { installSimClock, SimClock } from './simClock';
import type { ChatEvent, Day, PageView } from './trafficModel';

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
  /** The relay store, already holding the counts it kept from earlier days. */
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

/** A day's figures: its calls, and what its pages showed (`ViewMeasures`, dayMeasures.ts). */
export interface DayResult extends ViewMeasures {
  readonly variant: string;
  /** Crisp calls in the day, all of them, and those for sessions no visitor has. */
  readonly crispCalls: number;
  readonly attackerCalls: number;
  /** When the calls reached `budgetMark` (ms into the day), or `null`. */
  readonly budgetReachedAtMs: number | null;
  /** The pages' requests that were refused, by status and error code (`503 budget-exhausted`). */
  readonly refusals: Record<string, number>;
  readonly peakOpenPages: number;
  /** How long the server keeps a count (what it asks its store for), and how many it held. */
  readonly retainMs: number;
  readonly seededCounts: number;
  /** Seeded counts that were not Crisp's (earlier days' lost web hooks). */
  readonly wrongSeededCounts: number;
  /** Timers the sim clock ran. */
  readonly timersRun: number;
  /** Real seconds the simulation took. */
  readonly seconds: number;
}

/** CPU seconds the process spent so far: a day's cost on a machine shared with other work. */
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return Math.round((user + system) / 1e6);
};

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function simulateDay(options: {
  emulator: CrispEmulator;
  day: Day;
  variant: Variant;
  attack?: Attack;
  /** Crisp calls to note the time of (the daily quota), or `null`. */
  budgetMark?: number | null;
  /** Told each simulated hour how far the day is (a 10x day takes many minutes). */
  progress?: ((line: string) => void) | undefined;
}): Promise<DayResult> {
  const { emulator, day, variant, attack } = options;
  // The real clock, kept before the sim's replaces `performance.now`.
  const realNow = performance.now.bind(performance);
  const began = realNow();
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
  /** Per session, Crisp's count after each change. */
  const truth = new Map<string, TruthChange[]>(
    sessions.map((id, index) => [
      id,
      [{ at: dayStart - 1, count: day.visitors[index]!.unreadBefore, hookDelayMs: 0 }],
    ]),
  );

  const clock = new SimClock(dayStart - 60_000);
  const uninstallClock = installSimClock(clock);
  const unrouteFocus = routeFocusPerPage();
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
  // A turn of the event loop runs every microtask queued before it, and nothing in the day waits
  // on anything but microtasks and the requests counted here: one turn with none in flight is
  // settled (a second one, as before, changed no figure of the day and cost a turn per timer).
  const settle = async () => {
    do await immediate();
    while (inFlight + crisp.inFlight() > 0);
  };
  const viewsBySession = new Map<string, Shown[]>();
  const open = new Set<() => void>();
  const refusals: Record<string, number> = {};
  let retainMs = 0;
  let seededCounts = 0;
  try {
    retainMs = await retentionOf(variant, emulator);
    const store = memoryStore();
    seededCounts = await seedEarlierDays(store, day.visitors, sessions, dayStart, retainMs);
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
      const forget = () => live.delete(made);
      if (signal && !signal.aborted) {
        live.add(made);
        signal.addEventListener('abort', forget, { once: true });
      }
      return track(built.fetch(made)).then((response) => {
        // Only an open stream needs its Request held (the relay watches its signal); an answered
        // poll held too, or by its listener on a signal that never aborts (a query's that
        // settled), would stay in memory until the day's end.
        if (!response.headers.get('content-type')?.startsWith('text/event-stream')) {
          forget();
          signal?.removeEventListener('abort', forget);
        }
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

    // A page: a store on crispRelay with the browser defaults (pauseWhenHidden, grace, polling,
    // the stream's idle timeout), the visitor's address, and its own visibility.
    const openPage = (page: PageView) => {
      const sessionId = sessions[page.visitor]!;
      const address = day.visitors[page.visitor]!.address;
      const history = truth.get(sessionId)!;
      const shown: Shown = {
        changes: [],
        stale: false,
        falseStale: false,
        assumed: false,
        wrongAssumed: false,
        openAt: Date.now(),
        closeAt: dayStart + page.closeAt,
      };
      const list = viewsBySession.get(sessionId) ?? [];
      list.push(shown);
      viewsBySession.set(sessionId, list);
      let last: number | null | undefined;
      const record = (state: UnreadState) => {
        const count = state.status === 'ready' || state.status === 'error' ? state.count : null;
        if (state.stale) {
          shown.stale = true;
          if (count !== null && count === history[history.length - 1]!.count) {
            shown.falseStale = true;
          }
        }
        if (state.assumed) {
          shown.assumed = true;
          if (count !== history[history.length - 1]!.count) shown.wrongAssumed = true;
        }
        if (count === last) return;
        last = count;
        shown.changes.push([Date.now(), count]);
      };
      const focus = new PageFocus();
      const pageStore: UnreadStore = focus.run(() => {
        const source = crispRelay({
          url: origin,
          stream: variant.stream,
          fetch: (input, init) => {
            const url = new URL(String(input));
            return request(`${url.pathname}${url.search}`, address, init);
          },
        });
        return createUnreadStore({ source, sessionId, queryClient: new QueryClient() });
      });
      // `subscribe` hands over the current state at once, then every change.
      const unsubscribe = focus.run(() => pageStore.subscribe(record));
      const turns = page.visibilityChanges.map((at) =>
        clock.at(dayStart + at, () => focus.setVisible(!focus.visible)),
      );
      const close = () => {
        open.delete(close);
        shown.closeAt = Date.now();
        for (const turn of turns) turn.cancel();
        focus.run(() => {
          unsubscribe();
          pageStore.dispose();
        });
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
      if (after !== before) {
        truth
          .get(sessionId)!
          .push({ at: Date.now(), count: after, hookDelayMs: event.hookDelayMs });
      }
      // Crisp sends no hook for a read of nothing (as the emulator does).
      const hooked = event.kind !== 'visitor-read' || before !== 0;
      if (variant.hooks && hooked && !event.hookLost) {
        setTimeout(() => void deliverHook(sessionId, event.kind), event.hookDelayMs);
      }
    };

    // The agenda: page opens and closes, chat events, the attacker, on the clock's heap.
    for (const page of day.pages) {
      clock.at(dayStart + page.openAt, () => {
        clock.at(dayStart + page.closeAt, openPage(page));
      });
    }
    for (const event of day.events) clock.at(dayStart + event.at, () => applyEvent(event));
    if (attack) scheduleAttack(attack, attackerSessions, clock, request);
    const end = dayStart + day.lengthMs;
    let hour = 0;
    for (let next = clock.nextAt(); next !== undefined && next < end; next = clock.nextAt()) {
      if (options.progress && next >= dayStart + (hour + 1) * 3_600_000) {
        hour = Math.floor((next - dayStart) / 3_600_000);
        options.progress(
          `${variant.name}${attack ? ', attacked' : ''}: ${String(hour).padStart(2, '0')}:00 simulated after ${Math.round((realNow() - began) / 1000)} s (${cpuSeconds()} s of CPU); ${open.size} pages open, ${crisp.calls.total} Crisp calls, ${clock.size()} timers pending`,
        );
      }
      clock.runNext();
      await settle();
    }
    clock.now = end;
  } finally {
    for (const close of [...open]) close();
    await settle();
    await server?.close();
    unrouteFocus();
    uninstallClock();
  }

  const measures = measureViews(viewsBySession, truth);
  let attackerCalls = 0;
  for (const [sessionId, calls] of crisp.calls.bySession) {
    if (!known.has(sessionId)) attackerCalls += calls;
  }
  const mark = options.budgetMark ?? null;
  const reached =
    mark !== null && crisp.calls.times.length >= mark ? crisp.calls.times[mark - 1]! : null;
  return {
    variant: variant.name,
    crispCalls: crisp.calls.total,
    attackerCalls,
    budgetReachedAtMs: reached === null ? null : reached - dayStart,
    ...measures,
    refusals,
    peakOpenPages: day.peakOpenPages,
    retainMs,
    seededCounts,
    wrongSeededCounts: day.visitors.filter(
      (visitor) =>
        visitor.returning &&
        visitor.lastReadAgoMs < retainMs &&
        visitor.heldBefore !== visitor.unreadBefore,
    ).length,
    timersRun: clock.ran,
    seconds: (realNow() - began) / 1000,
  };
}

function scheduleAttack(
  attack: Attack,
  attackerSessions: string[],
  clock: SimClock,
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
    clock.at(start, () => {
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
    clock.at(at, () => {
      for (let a = 0; a < attack.addresses; a++) {
        for (let i = 0; i < attack.perSecond; i++) flood(`198.51.${a >> 8}.${a & 255}`);
      }
    });
  }
  clock.at(end, () => {
    for (const controller of held.splice(0)) controller.abort();
  });
}
