// The dependency floor of the store as built: what core imports of its three dependencies — from
// query-core a QueryClient (the default cache), the QueryObserver that binds a count to its entry,
// hashKey and the focus and online managers; the rxjs subjects and operators its pipeline is made
// of; one zod/mini object schema (the relay's answer) — and nothing of crisp-unread. No badge on
// this design can be smaller than this entry.
import * as z from 'zod/mini';

export {
  focusManager,
  hashKey,
  onlineManager,
  QueryClient,
  QueryObserver,
} from '@tanstack/query-core';
export {
  BehaviorSubject,
  catchError,
  combineLatest,
  concat,
  concatWith,
  defer,
  distinctUntilChanged,
  EMPTY,
  endWith,
  filter,
  finalize,
  ignoreElements,
  map,
  merge,
  NEVER,
  Observable,
  of,
  ReplaySubject,
  repeat,
  retry,
  Subject,
  scan,
  share,
  startWith,
  switchMap,
  takeUntil,
  tap,
  throwError,
  timer,
} from 'rxjs';

export const answer = z.looseObject({ count: z.number(), updatedAt: z.number() });
