// The day's measures, from what each page showed and what Crisp held (bench/README.md,
// "relay-day", "Measures").

/** What one page view showed. */
export interface Shown {
  /** [time, count] per change of the page's count; `null` while it shows none. */
  readonly changes: [number, number | null][];
  /** It showed `stale: true` at some point. */
  stale: boolean;
  /** It showed `stale: true` while its count was the one Crisp held. */
  falseStale: boolean;
  /** It showed a count the relay assumed (`assumed: true`), and one Crisp did not hold. */
  assumed: boolean;
  wrongAssumed: boolean;
  readonly openAt: number;
  closeAt: number;
}

/** One change of a session's count in Crisp, and the delay of the web hook that told of it. */
export interface TruthChange {
  readonly at: number;
  readonly count: number;
  /** Its web hook's delay (ms); 0 for the counts held before the day. */
  readonly hookDelayMs: number;
}

/** A count may trail a change in Crisp this long and the view still be current (the p95 goal). */
export const freshWithinMs = 1000;
/** A view that shows no number for longer than this is not current. */
export const blankWithinMs = 5000;

export interface ViewMeasures {
  readonly pageViews: number;
  /** Views that showed a count within 5 s and never a wrong one (see `isCurrent`). */
  readonly currentViews: number;
  /** Views that never showed a count. */
  readonly countlessViews: number;
  readonly staleViews: number;
  readonly falseStaleViews: number;
  /** Views that showed an assumed count, and those where it was not Crisp's. */
  readonly assumedViews: number;
  readonly wrongAssumedViews: number;
  /**
   * Per change in Crisp, per page open at that moment: the time until the page showed Crisp's
   * count, `Infinity` when it had not by its close. Every such event is a sample.
   */
  readonly latencies: number[];
  /** The same, less the event's web hook delay. */
  readonly latenciesAfterHook: number[];
}

/** The value shown at `at` (`undefined` before the first change). */
function shownAt(view: Shown, at: number): number | null | undefined {
  let value: number | null | undefined;
  for (const [time, count] of view.changes) {
    if (time > at) break;
    value = count;
  }
  return value;
}

/** Crisp's count at `at`. */
function truthAt(history: readonly TruthChange[], at: number): number | undefined {
  let value: number | undefined;
  for (const change of history) {
    if (change.at > at) break;
    value = change.count;
  }
  return value;
}

/** The counts Crisp held at some moment of [from, to]. */
function truthIn(history: readonly TruthChange[], from: number, to: number): Set<number> {
  const values = new Set<number>();
  let before: number | undefined;
  for (const { at, count } of history) {
    if (at <= from) before = count;
    else if (at <= to) values.add(count);
  }
  if (before !== undefined) values.add(before);
  return values;
}

/**
 * Current: a count within `blankWithinMs` of opening, never a blank longer than that, and every
 * count shown one that Crisp held at most `freshWithinMs` before. A wrong count can only begin
 * where the page's count changes or `freshWithinMs` after Crisp's does, so those are checked.
 */
function isCurrent(view: Shown, history: readonly TruthChange[]): boolean {
  let blankSince: number | null = view.openAt;
  for (const [time, count] of view.changes) {
    if (count === null) blankSince ??= time;
    else if (blankSince !== null) {
      if (time - blankSince > blankWithinMs) return false;
      blankSince = null;
    }
  }
  if (blankSince !== null && view.closeAt - blankSince > blankWithinMs) return false;
  const checks = view.changes.map(([time]) => time);
  for (const { at } of history) {
    if (at + freshWithinMs >= view.openAt && at + freshWithinMs < view.closeAt) {
      checks.push(at + freshWithinMs);
    }
  }
  return checks.every((at) => {
    const count = shownAt(view, at);
    return (
      count === null || count === undefined || truthIn(history, at - freshWithinMs, at).has(count)
    );
  });
}

/** When `view` first showed Crisp's count at or after `at`, or `Infinity` if not before it closed. */
function shownAfter(view: Shown, history: readonly TruthChange[], at: number): number {
  const moments = [at];
  for (const [time] of view.changes) if (time > at && time < view.closeAt) moments.push(time);
  for (const change of history) {
    if (change.at > at && change.at < view.closeAt) moments.push(change.at);
  }
  moments.sort((a, b) => a - b);
  for (const moment of moments) {
    const shown = shownAt(view, moment);
    if (shown !== null && shown !== undefined && shown === truthAt(history, moment)) {
      return moment - at;
    }
  }
  return Number.POSITIVE_INFINITY;
}

export function measureViews(
  viewsBySession: ReadonlyMap<string, readonly Shown[]>,
  truth: ReadonlyMap<string, readonly TruthChange[]>,
): ViewMeasures {
  const latencies: number[] = [];
  const latenciesAfterHook: number[] = [];
  let pageViews = 0;
  let currentViews = 0;
  let countlessViews = 0;
  let staleViews = 0;
  let falseStaleViews = 0;
  let assumedViews = 0;
  let wrongAssumedViews = 0;
  for (const [sessionId, views] of viewsBySession) {
    const history = truth.get(sessionId)!;
    for (const view of views) {
      pageViews += 1;
      if (view.stale) staleViews += 1;
      if (view.falseStale) falseStaleViews += 1;
      if (view.assumed) assumedViews += 1;
      if (view.wrongAssumed) wrongAssumedViews += 1;
      if (!view.changes.some(([, count]) => count !== null)) countlessViews += 1;
      else if (isCurrent(view, history)) currentViews += 1;
    }
    // Each change in Crisp, followed on each page open at that moment until shown or closed.
    for (const change of history.slice(1)) {
      for (const view of views) {
        if (view.openAt > change.at || view.closeAt <= change.at) continue;
        const ms = shownAfter(view, history, change.at);
        latencies.push(ms);
        latenciesAfterHook.push(Math.max(0, ms - change.hookDelayMs));
      }
    }
  }
  return {
    pageViews,
    currentViews,
    countlessViews,
    staleViews,
    falseStaleViews,
    assumedViews,
    wrongAssumedViews,
    latencies,
    latenciesAfterHook,
  };
}
