// What a React app on @tanstack/react-query and rxjs already ships before it adds crisp-unread:
// react-query's client, provider and hook, and the rxjs subjects and operators core uses. The
// app-*.js entries add one import set of crisp-unread each; their difference to this one is what
// crisp-unread costs such an app. Measured with react and react-dom left out.
export { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
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
