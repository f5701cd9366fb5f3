import { Observable } from 'rxjs';

/** A chatbox event callback, as `$crisp.push(["on", event, callback])` takes it. */
export type CrispListener = (...args: unknown[]) => void;

/** The `$crisp` global: an array-like queue before Crisp's script loads, its API after. */
export interface CrispGlobal {
  push(...commands: unknown[]): unknown;
  get?(key: string, ...args: unknown[]): unknown;
  is?(key: string, ...args: unknown[]): unknown;
}

/** One owner of the chatbox's events, fanning each out to any number of listeners. */
export interface CrispEvents {
  /** Adds a listener for a chatbox event (`message:received`, `session:loaded`, …). */
  on(event: string, listener: CrispListener): () => void;
  /** `$crisp.get(key)` once Crisp has loaded; `undefined` before, and never throws. */
  get(key: string): unknown;
  /** Whether Crisp's script has loaded (`$crisp.get` exists). */
  isLoaded(): boolean;
  /** Queues `["do", action, args]`, which Crisp runs once loaded. */
  do(action: string, args?: unknown[]): void;
  /** The chatbox's session id: `null` until `session:loaded`. */
  readonly session$: Observable<string | null>;
}

export interface CrispEventsOptions {
  /** Where `$crisp` lives. Defaults to `globalThis` (the page's `window`). */
  target?: object;
  /** Called with a warning in development. Defaults to `console.warn`. */
  warn?: (message: string) => void;
}

type Host = { $crisp?: CrispGlobal } & Record<symbol, CrispEvents | undefined>;

/** One event the multiplexer owns: the callback `$crisp` holds, and whom it calls. */
interface OwnedEvent {
  dispatch: CrispListener;
  listeners: Set<CrispListener>;
  /** The handler another script pushed directly, taken in as a listener. */
  foreign?: CrispListener | undefined;
}

const isId = (value: unknown): value is string => typeof value === 'string' && value !== '';

/**
 * The chatbox event multiplexer. `$crisp` keeps ONE callback per event: `on` replaces the previous
 * one, so a library that registers its own handler silently removes the host app's (and the app's
 * removes the library's). This owns each event once, through `$crisp.push` (which queues before
 * Crisp loads), and fans out to every listener. Apps register through it too; a handler another
 * script still registers directly is taken in as a listener, with a warning in development.
 * One multiplexer per page, shared even by two copies of this library (a `Symbol.for` key on the
 * host).
 */
export function crispEvents(options: CrispEventsOptions = {}): CrispEvents {
  const host = (options.target ?? globalThis) as Host;
  const registry = Symbol.for('crisp-unread.crispEvents');
  const existing = host[registry];
  if (existing) return existing;

  const warn = options.warn ?? ((message: string) => console.warn(message));
  const owned = new Map<string, OwnedEvent>();
  /** `session$`'s subscribers, told of every new session id. */
  const sessionWatchers = new Set<() => void>();
  let session: string | null = null;
  let attachedTo: CrispGlobal | undefined;
  let waitTimer: ReturnType<typeof setInterval> | undefined;

  const get = (key: string): unknown => {
    try {
      return host.$crisp?.get?.(key);
    } catch {}
  };
  const readSession = (given?: unknown) => {
    const id = isId(given) ? given : get('session:identifier');
    if (isId(id) && id !== session) {
      session = id;
      for (const watcher of sessionWatchers) watcher();
    }
  };
  const stopWaiting = () => {
    clearInterval(waitTimer);
    waitTimer = undefined;
  };

  /**
   * Takes an `on`/`off` pushed for an event we own away from `$crisp` (where it would replace our
   * dispatcher) into the fan-out. True when the command was taken.
   */
  const reroute = (command: unknown): boolean => {
    const [verb, event, callback] = Array.isArray(command) ? command : [];
    const entry = owned.get(event);
    if (!entry) return false;
    if (verb === 'off') entry.foreign = undefined;
    else if (verb === 'on' && typeof callback === 'function' && callback !== entry.dispatch) {
      const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
        ?.env;
      if (env?.NODE_ENV !== 'production') {
        warn(
          `crisp-unread: a $crisp "${event}" handler pushed directly now runs as a listener ` +
            `(it would replace ours); use crispEvents().on("${event}", …).`,
        );
      }
      entry.foreign = callback;
    } else return false;
    return true;
  };

  /**
   * The current `$crisp`, once it can take commands (`undefined` before the snippet ran). A `$crisp`
   * seen for the first time gets its `push` wrapped, so that an `on`/`off` for an event we own goes
   * through `reroute`, and every owned event registered. Crisp's script swaps the queue for its
   * API object on load, so this happens again then.
   */
  const attach = (): CrispGlobal | undefined => {
    const target = host.$crisp;
    if (typeof target?.push !== 'function') return undefined;
    if (target !== attachedTo) {
      attachedTo = target;
      stopWaiting();
      const original = target.push;
      try {
        Object.defineProperty(target, 'push', {
          value(...commands: unknown[]) {
            const kept = commands.filter((command) => !reroute(command));
            return kept.length ? original.apply(target, kept) : (target as unknown[]).length;
          },
          configurable: true,
          writable: true,
        });
      } catch {
        // A frozen $crisp: we can still register, just not protect against replacement.
      }
      for (const [event, { dispatch }] of owned) target.push(['on', event, dispatch]);
      readSession();
    }
    return target;
  };

  const on = (event: string, listener: CrispListener) => {
    let entry = owned.get(event);
    if (!entry) {
      const created: OwnedEvent = {
        listeners: new Set(),
        dispatch: (...args) => {
          // An event means Crisp runs: protect the API object that replaced the queue at once.
          attach();
          if (event === 'session:loaded') readSession(args[0]);
          for (const each of [...created.listeners, created.foreign]) {
            try {
              each?.(...args);
            } catch (error) {
              // One failing listener must not starve the others (nor the host app's).
              queueMicrotask(() => {
                throw error;
              });
            }
          }
        },
      };
      entry = created;
      owned.set(event, entry);
      // Already attached to this `$crisp`: register the new event with it.
      if (host.$crisp === attachedTo) attachedTo?.push(['on', event, created.dispatch]);
    }
    const { listeners } = entry;
    listeners.add(listener);
    // A `$crisp` not seen yet gets every owned event, this one too. Before Crisp's snippet has
    // defined `$crisp` there is nothing to queue on: look again soon.
    if (!attach()) waitTimer ??= setInterval(attach, 250);
    return () => {
      listeners.delete(listener);
      if (![...owned.values()].some((each) => each.listeners.size)) stopWaiting();
    };
  };

  const events: CrispEvents = {
    on,
    get(key) {
      attach();
      return get(key);
    },
    isLoaded() {
      return typeof attach()?.get === 'function';
    },
    do(action, args) {
      attach()?.push(args ? ['do', action, args] : ['do', action]);
    },
    session$: new Observable<string | null>((subscriber) => {
      // Owning `session:loaded` keeps `session` current.
      const off = on('session:loaded', () => {});
      const emit = () => subscriber.next(session);
      readSession();
      emit();
      sessionWatchers.add(emit);
      return () => {
        sessionWatchers.delete(emit);
        off();
      };
    }),
  };
  host[registry] = events;
  return events;
}
