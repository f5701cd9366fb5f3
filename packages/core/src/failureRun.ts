import type { QueryClient, QueryState } from '@tanstack/query-core';
import { Observable } from 'rxjs';
import { type RetrySettings, retryDelay } from './backoff';
import type { UnreadError } from './errors';

type CountState = QueryState<unknown, UnreadError>;
/** A cache entry (query-core's `Query`), as far as its failure run needs it. */
type CountQuery = { readonly state: CountState };

/**
 * One session's failed reads since its last good one: the schedule every store and the push stream
 * of that entry follow. Kept beside the cache entry rather than read from its state, because
 * query-core puts an entry without data back to `pending` (error cleared) at each retry: counted
 * from the state alone, a never-read session would start its backoff anew at every retry.
 */
export interface FailureRun {
  /** Failed reads since the last good one; `0` while healthy. */
  readonly failures: number;
  /** The last failure; the same object while the failures repeat alike, so the state shown holds. */
  readonly error: UnreadError | null;
  /** When the last failure happened (its `errorUpdatedAt`). */
  readonly at: number;
  /** The wait after the last failure, drawn once per failure. */
  readonly delayMs: number;
  /** Which failure and which good read this run has counted (query-core's update counters). */
  readonly errorCount: number;
  readonly dataCount: number;
}

export const healthyRun: FailureRun = Object.freeze({
  failures: 0,
  error: null,
  at: 0,
  delayMs: 0,
  errorCount: 0,
  dataCount: 0,
});

/** Failures that stop the reads until `refresh()`: refused credentials, a gone session, a bad setup. */
const haltCodes: ReadonlySet<string> = new Set([
  'unauthorized',
  'forbidden',
  'session-not-found',
  'misconfigured',
]);

/** Whether a failure stops the reads until a `refresh()` succeeds. */
export const halts = (error: UnreadError): boolean => haltCodes.has(error.code);

/** Whether the run stops reads until a `refresh()` succeeds. */
export const halted = (run: FailureRun): boolean => !!run.error && halts(run.error);

// Keyed by the entry itself: an entry the app removes starts a new run, and a run ends with its entry.
const runs = /* @__PURE__ */ new WeakMap<CountQuery, FailureRun>();

const alike = (a: UnreadError, b: UnreadError) =>
  a.code === b.code &&
  a.status === b.status &&
  a.message === b.message &&
  a.retryAfterMs === b.retryAfterMs;

/** The next run from the entry's state: a good read ends it, a new failure lengthens it. */
export function nextRun(
  run: FailureRun,
  state: CountState,
  pollIntervalMs: number,
  retry: RetrySettings | false,
): FailureRun {
  if (state.status === 'success') {
    if (run.failures === 0 || state.dataUpdateCount === run.dataCount) return run;
    return { ...healthyRun, dataCount: state.dataUpdateCount };
  }
  const { error } = state;
  if (state.status !== 'error' || !error) return run;
  // A failure another tab told (query-core's `setState`) does not count as an update: its time does.
  if (state.errorUpdateCount === run.errorCount && state.errorUpdatedAt === run.at) return run;
  const failures = run.failures + 1;
  return {
    failures,
    error: run.error && alike(run.error, error) ? run.error : error,
    at: state.errorUpdatedAt,
    delayMs: retryDelay(failures, error, pollIntervalMs, retry),
    errorCount: state.errorUpdateCount,
    dataCount: state.dataUpdateCount,
  };
}

/**
 * The entry's failure run, brought up to date with its state. Every store on the entry calls it
 * on each change and gets the same run, so N stores agree on one backoff.
 */
export function failureRun(
  query: CountQuery,
  pollIntervalMs: number,
  retry: RetrySettings | false,
): FailureRun {
  const last = runs.get(query) ?? { ...healthyRun, dataCount: query.state.dataUpdateCount };
  const run = nextRun(last, query.state, pollIntervalMs, retry);
  runs.set(query, run);
  return run;
}

/** The failure run of the entry `queryHash` names, now and on each change of the cache for it. */
export function entryRun$(
  client: QueryClient,
  queryHash: string,
  pollIntervalMs: number,
  retry: RetrySettings | false,
): Observable<FailureRun> {
  return new Observable<FailureRun>((subscriber) => {
    const cache = client.getQueryCache();
    const emit = () => {
      const query = cache.get<unknown, UnreadError>(queryHash);
      subscriber.next(query ? failureRun(query, pollIntervalMs, retry) : healthyRun);
    };
    const stop = cache.subscribe((event) => {
      if (event.query.queryHash === queryHash) emit();
    });
    emit();
    return stop;
  });
}
