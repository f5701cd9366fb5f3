// The traffic of one simulated UTC day on a site running the relay (bench/README.md, "relay-day"):
// who visits when, which pages they open for how long, and the chat events of their conversations.
// Pure and seeded: every relay variant of a run sees the very same day.

/** The day's figures at scale 1; `scale` multiplies the counts (visitors, peak, events) alike. */
export const dayModel = {
  visitors: 10_000,
  /** Sessions Crisp and the relay have never seen (the rest return from earlier days). */
  newShare: 0.2,
  /** Returning visitors whose conversation holds unread messages from earlier days. */
  returningWithUnread: 0.1,
  /** Arrivals follow a bell over the day, peaking at 14:00 UTC, plus a flat night-time floor. */
  peakHour: 14,
  peakWidthHours: 3.5,
  floorShare: 0.1,
  /** Pages per visit: 1 + a geometric number, mean `pagesPerVisit`. */
  pagesPerVisit: 3,
  /**
   * How long a visit keeps a page open, split over its pages: each page is open an exponential
   * time of mean `meanVisitMs / pages` (a tab left open counts), at least 5 s. Tuned so that
   * about 1,000 pages are open at the peak at scale 1.
   */
  meanVisitMs: 57 * 60_000,
  /** A new page of the same visit opens this long after the previous one closes. */
  navigationGapMs: 1500,
  /** Count-changing and other chat events of the day. */
  chatEvents: 2_000,
  /** Events per conversation (see `buildDay`). */
  eventsPerConversation: 5,
  /** Share of web hooks Crisp loses. */
  lostHookShare: 0.01,
  /** Crisp delivers a web hook this long after the event: uniform in [min, max]. */
  hookDelayMs: [50, 500] as const,
  /**
   * A returning visitor's last visit was this many days ago: uniform in [min, max). Whether the
   * relay still holds its count is the relay's own retention (simulateDay asks the relay).
   */
  lastVisitDaysAgo: [1, 30] as const,
  /**
   * A page alternates visible and hidden spells (another tab in front, the window minimised), each
   * exponential with these means, starting visible.
   */
  visibleSpellMs: 5 * 60_000,
  hiddenSpellMs: 5 * 60_000,
} as const;

export type ChatEventKind = 'visitor-send' | 'operator' | 'visitor-read';

export interface ChatEvent {
  /** Sim time (ms since the day's start). */
  readonly at: number;
  readonly visitor: number;
  readonly kind: ChatEventKind;
  /** Whether Crisp's web hook for it is lost. */
  readonly hookLost: boolean;
  readonly hookDelayMs: number;
}

export interface PageView {
  readonly visitor: number;
  readonly openAt: number;
  readonly closeAt: number;
  /** Times (ms since the day's start, before `closeAt`) the page turns hidden, visible, hidden… */
  readonly visibilityChanges: readonly number[];
}

export interface Visitor {
  readonly returning: boolean;
  /** Unread messages from earlier days (returning visitors only). */
  readonly unreadBefore: number;
  /** When the relay last read its count on an earlier day (ms before the day's start). */
  readonly lastReadAgoMs: number;
  /**
   * The count the relay holds from that read: `unreadBefore`, unless the web hooks of the last
   * changes were lost (then the count before them, as Crisp's lost hooks leave it in life).
   */
  readonly heldBefore: number;
  /** The address its pages come from. */
  readonly address: string;
}

export interface Day {
  readonly lengthMs: number;
  readonly visitors: readonly Visitor[];
  readonly pages: readonly PageView[];
  readonly events: readonly ChatEvent[];
  /** The most pages open at once. */
  readonly peakOpenPages: number;
}

export const dayMs = 86_400_000;

/** mulberry32: a small seeded PRNG, so that a run's day is the same for every variant. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const exponentialOf = (random: () => number, mean: number) => -mean * Math.log(1 - random());

/** The day of `dayModel` at `scale` (1 = the full day; the quick bench uses a fraction). */
export function buildDay(scale: number, seed = 20_260_115): Day {
  const random = seededRandom(seed);
  const m = dayModel;
  const uniform = (min: number, max: number) => min + (max - min) * random();
  const exponential = (mean: number) => exponentialOf(random, mean);
  const gaussian = () => {
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const arrival = () => {
    if (random() < m.floorShare) return random() * dayMs;
    for (;;) {
      const hour = m.peakHour + gaussian() * m.peakWidthHours;
      if (hour >= 0 && hour < 24) return hour * 3_600_000;
    }
  };

  // Earlier days and visibility draw from their own stream, so that the day's visits and events
  // are the ones every earlier run of the bench simulated.
  const more = seededRandom(seed + 1);
  const conversationShare = m.chatEvents / m.eventsPerConversation / m.visitors;
  /** What the relay last read: the hooks of the last changes may be lost, each at `lostHookShare`. */
  const held = (unread: number) => {
    // With unread messages, the last changes were `unread` operator messages after a read; else,
    // for a visitor who chatted, a read that brought the count from 1 to 0.
    if (unread === 0) return more() < conversationShare && more() < m.lostHookShare ? 1 : 0;
    let lost = 0;
    while (lost < unread && more() < m.lostHookShare) lost += 1;
    return unread - lost;
  };
  const hiddenAt = (openAt: number, closeAt: number) => {
    const changes: number[] = [];
    let visible = true;
    for (let at = openAt; ; ) {
      at += Math.round(exponentialOf(more, visible ? m.visibleSpellMs : m.hiddenSpellMs));
      if (at >= closeAt) return changes;
      changes.push(at);
      visible = !visible;
    }
  };

  const count = Math.round(m.visitors * scale);
  const visitors: Visitor[] = [];
  const pages: PageView[] = [];
  const visits: { visitor: number; start: number; end: number }[] = [];
  for (let visitor = 0; visitor < count; visitor++) {
    const returning = visitor >= Math.round(count * m.newShare);
    const unreadBefore =
      returning && random() < m.returningWithUnread ? 1 + Math.floor(random() * 3) : 0;
    const [minDays, maxDays] = m.lastVisitDaysAgo;
    visitors.push({
      returning,
      unreadBefore,
      lastReadAgoMs: returning ? Math.round(dayMs * (minDays + (maxDays - minDays) * more())) : 0,
      heldBefore: returning ? held(unreadBefore) : 0,
      address: `10.${(visitor >> 16) & 255}.${(visitor >> 8) & 255}.${visitor & 255}`,
    });
    let at = arrival();
    const start = at;
    let views = 1;
    while (random() > 1 / m.pagesPerVisit) views += 1;
    for (let view = 0; view < views && at < dayMs; view++) {
      const closeAt = Math.min(dayMs, at + Math.max(5000, exponential(m.meanVisitMs / views)));
      const [openAt, closedAt] = [Math.round(at), Math.round(closeAt)];
      pages.push({
        visitor,
        openAt,
        closeAt: closedAt,
        visibilityChanges: hiddenAt(openAt, closedAt),
      });
      at = closeAt + m.navigationGapMs;
    }
    visits.push({ visitor, start, end: Math.min(dayMs, at) });
  }

  // Conversations: a visit where the visitor writes, the operator answers, the visitor reads, then
  // writes again and gets a last answer, sometimes after leaving (the count waits for the return).
  const conversations = Math.round((m.chatEvents * scale) / m.eventsPerConversation);
  const events: ChatEvent[] = [];
  const event = (at: number, visitor: number, kind: ChatEventKind) => {
    if (at >= dayMs) return;
    events.push({
      at: Math.round(at),
      visitor,
      kind,
      hookLost: random() < m.lostHookShare,
      hookDelayMs: Math.round(uniform(m.hookDelayMs[0], m.hookDelayMs[1])),
    });
  };
  const chatty = visits.filter((visit) => visit.end - visit.start > 120_000);
  for (let i = 0; i < conversations && chatty.length > 0; i++) {
    const visit = chatty.splice(Math.floor(random() * chatty.length), 1)[0]!;
    let at = uniform(visit.start, visit.start + (visit.end - visit.start) / 2);
    event(at, visit.visitor, 'visitor-send');
    at += uniform(20_000, 180_000);
    event(at, visit.visitor, 'operator');
    at += uniform(5_000, 60_000);
    event(at, visit.visitor, 'visitor-read');
    at += uniform(10_000, 60_000);
    event(at, visit.visitor, 'visitor-send');
    at += uniform(30_000, 1_200_000);
    event(at, visit.visitor, 'operator');
  }
  events.sort((a, b) => a.at - b.at);
  pages.sort((a, b) => a.openAt - b.openAt);

  const edges = pages.flatMap((page) => [
    [page.openAt, 1],
    [page.closeAt, -1],
  ]);
  edges.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let open = 0;
  let peakOpenPages = 0;
  for (const [, delta] of edges) {
    open += delta!;
    peakOpenPages = Math.max(peakOpenPages, open);
  }
  return { lengthMs: dayMs, visitors, pages, events, peakOpenPages };
}
