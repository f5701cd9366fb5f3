import { Observable } from 'rxjs';
import { isBrowser } from './environment';

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
  target?: object | undefined;
  /** Called with a warning in development. Defaults to `console.warn`. */
  warn?: ((message: string) => void) | undefined;
}

type Host = { $crisp?: CrispGlobal } & Record<symbol, CrispEvents | undefined>;

/** One event the multiplexer owns: the callback `$crisp` holds, and whom it calls. */
interface OwnedEvent {
  dispatch: CrispListener;
  listeners: Set<CrispListener>;
}

const isId = (value: unknown): value is string => typeof value === 'string' && value !== '';

/**
 * The chatbox event multiplexer. `$crisp` keeps ONE callback per event: `on` replaces the previous
 * one, so a library that registers its own handler silently removes the host app's (and the app's
 * removes the library's). This owns each event once, through `$crisp.push` (which queues before
 * Crisp loads), and fans out to every listener. Apps register through it too; a handler another
 * script registers directly (Crisp's snippet, `crisp-sdk-web`) is taken in as a listener, with a
 * warning in development: one pushed after the multiplexer first saw `$crisp`, one still waiting in
 * the snippet's queue when it attaches, and one pushed before it owned that event. (A handler
 * pushed straight to Crisp's loaded API before this library ever saw it cannot be recovered: Crisp
 * has no way to read it back.) One multiplexer per page, shared even by two copies of this library
 * (a `Symbol.for` key on the host).
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
  /**
   * The handler other scripts last pushed for each event: Crisp runs it while we do not own the
   * event, our dispatcher once we do.
   */
  const theirs = new Map<unknown, CrispListener>();
  const warned = new Set<string>();
  let session: string | null = null;
  let attachedTo: CrispGlobal | undefined;
  let waitTimer: ReturnType<typeof setInterval> | undefined;
  /** `do` commands pushed onto the current queue, before Crisp's script has run them. */
  let queued: unknown[][] = [];
  const canHold = () => options.target !== undefined || isBrowser();

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

  /** Warns once per event, in development, that a handler pushed directly runs as a listener. */
  const adopted = (event: string) => {
    if (isDevelopment() && !warned.has(event)) {
      warned.add(event);
      warn(
        `crisp-unread: a $crisp "${event}" handler pushed directly now runs as a listener ` +
          `(it would replace ours); use crispEvents().on("${event}", …).`,
      );
    }
  };

  /**
   * Notes an `on`/`off` another script pushed. For an event we own, the command is taken away from
   * `$crisp` (where it would replace our dispatcher), and the handler runs as a listener: true then.
   */
  const takeIn = (command: unknown): boolean => {
    const [verb, event, callback] = Array.isArray(command) ? command : [];
    const entry = owned.get(event);
    if (verb === 'off') theirs.delete(event);
    else if (verb === 'on' && typeof callback === 'function' && callback !== entry?.dispatch) {
      theirs.set(event, callback);
      if (entry) adopted(event);
    } else return false;
    return entry !== undefined;
  };

  /**
   * The current `$crisp`, once it can take commands (`undefined` before the snippet ran). A `$crisp`
   * seen for the first time gets its `push` wrapped, so that every `on`/`off` goes through
   * `takeIn`, and every owned event registered. Crisp's script swaps the queue for its API object
   * on load, so this happens again then.
   */
  const attach = (): CrispGlobal | undefined => {
    const target = host.$crisp;
    if (typeof target?.push !== 'function') return undefined;
    if (target !== attachedTo) {
      // A queue replaced by another queue never ran (Crisp's snippet assigns `$crisp = []`
      // unconditionally): our `do` commands move over. Replaced by the API, Crisp ran them.
      const carried = Array.isArray(attachedTo) && Array.isArray(target) ? queued : [];
      queued = [];
      attachedTo = target;
      stopWaiting();
      // The snippet's queue may hold handlers pushed before we came: Crisp would run them, then
      // our `on` (queued after them) would replace them. Take them in; they stay queued.
      if (Array.isArray(target)) for (const command of [...target]) takeIn(command);
      const original = target.push;
      try {
        Object.defineProperty(target, 'push', {
          value(...commands: unknown[]) {
            const kept = commands.filter((command) => !takeIn(command));
            return kept.length ? original.apply(target, kept) : (target as unknown[]).length;
          },
          configurable: true,
          writable: true,
        });
      } catch {
        // A frozen $crisp: we can still register, just not protect against replacement.
      }
      for (const [event, { dispatch }] of owned) target.push(['on', event, dispatch]);
      for (const command of carried) target.push(command);
      if (Array.isArray(target)) queued = carried;
      readSession();
    }
    return target;
  };

  /**
   * Attaches whenever `$crisp` is assigned (the snippet's queue, then Crisp's API): a handler the
   * app pushes between Crisp's load and the first event would otherwise reach Crisp unseen, and
   * replace ours. Nothing is watched where the host has no `$crisp` to watch (a server) or has made
   * it unassignable.
   */
  const watchAssignments = () => {
    const descriptor = Object.getOwnPropertyDescriptor(host, '$crisp');
    let value = descriptor?.value as CrispGlobal | undefined;
    if (!descriptor || (descriptor.configurable && descriptor.writable)) {
      Object.defineProperty(host, '$crisp', {
        get: () => value,
        set(next: CrispGlobal | undefined) {
          value = next;
          attach();
        },
        configurable: true,
        enumerable: true,
      });
    }
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
          for (const each of [...created.listeners, theirs.get(event)]) {
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
      if (theirs.has(event)) adopted(event);
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
      const command = args ? ['do', action, args] : ['do', action];
      // Before Crisp's snippet, queue on a `$crisp = []` of our own, as crisp-sdk-web does: the
      // script runs it once loaded. Dropping it would lose the visitor's "read".
      if (!attach() && canHold()) host.$crisp = [] as unknown as CrispGlobal;
      const target = attach();
      if (!target) return;
      target.push(command);
      if (Array.isArray(target)) queued.push(command);
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
  // Watch `$crisp` from now on, so that what other scripts push before anyone listens is known.
  if (canHold()) watchAssignments();
  attach();
  return events;
}

/**
 * Whether this is a development build. Written as `process.env.NODE_ENV` so that bundlers (Vite,
 * Next, webpack) replace it in the page, where `process` does not exist; without a bundler the
 * lookup throws there, and a warning too many beats a silent trap.
 */
function isDevelopment(): boolean {
  try {
    return process.env.NODE_ENV !== 'production';
  } catch {
    return true;
  }
}
