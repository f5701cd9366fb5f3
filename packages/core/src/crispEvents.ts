import { BehaviorSubject, distinctUntilChanged, Observable } from 'rxjs';

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

const registryKey = Symbol.for('crisp-unread.crispEvents');
const wrappedPush = Symbol.for('crisp-unread.wrappedPush');

interface Host {
  $crisp?: CrispGlobal;
  [registryKey]?: CrispEvents;
}

function isDevelopment(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  return env?.NODE_ENV !== 'production';
}

/**
 * The chatbox event multiplexer. `$crisp` keeps ONE callback per event: `on` replaces the previous
 * one, so a library that registers its own handler silently removes the host app's (and the app's
 * removes the library's). This owns each event once, through `$crisp.push` (which queues before
 * Crisp loads), and fans out to every listener. Apps register through it too; a handler another
 * script still registers directly is taken in as a listener, with a warning in development.
 * One multiplexer per page, shared even by two copies of this library.
 */
export function crispEvents(options: CrispEventsOptions = {}): CrispEvents {
  const host = (options.target ?? globalThis) as Host;
  const existing = host[registryKey];
  if (existing) return existing;
  const events = createMultiplexer(host, options.warn ?? ((message) => console.warn(message)));
  host[registryKey] = events;
  return events;
}

function createMultiplexer(host: Host, warn: (message: string) => void): CrispEvents {
  const listeners = new Map<string, Set<CrispListener>>();
  const dispatchers = new Map<string, CrispListener>();
  const session = new BehaviorSubject<string | null>(null);
  let attachedTo: CrispGlobal | undefined;
  let waitTimer: ReturnType<typeof setInterval> | undefined;

  const crisp = (): CrispGlobal | undefined => {
    const value = host.$crisp;
    return value && typeof value.push === 'function' ? value : undefined;
  };
  const isLoaded = () => typeof crisp()?.get === 'function';
  const get = (key: string): unknown => {
    const target = crisp();
    if (!target || typeof target.get !== 'function') return undefined;
    try {
      return target.get(key);
    } catch {
      return undefined;
    }
  };
  const readSession = () => {
    const id = get('session:identifier');
    if (typeof id === 'string' && id !== '') session.next(id);
  };

  const dispatcherFor = (event: string): CrispListener => {
    let dispatcher = dispatchers.get(event);
    if (!dispatcher) {
      dispatcher = (...args: unknown[]) => {
        if (event === 'session:loaded') {
          if (typeof args[0] === 'string' && args[0] !== '') session.next(args[0]);
          else readSession();
        }
        for (const listener of [...(listeners.get(event) ?? [])]) {
          try {
            listener(...args);
          } catch (error) {
            // One failing listener must not starve the others (nor the host app's).
            queueMicrotask(() => {
              throw error;
            });
          }
        }
      };
      dispatchers.set(event, dispatcher);
    }
    return dispatcher;
  };

  /**
   * Wraps `$crisp.push` so that an `on`/`off` for an event we own goes through the multiplexer
   * instead of replacing our dispatcher. Crisp's script swaps the queue for its API object on
   * load, so this runs again whenever `$crisp` is a new object.
   */
  const attach = () => {
    const target = crisp();
    if (!target || target === attachedTo) return;
    attachedTo = target;
    stopWaiting();
    const marked = target as CrispGlobal & { [wrappedPush]?: boolean };
    if (!marked[wrappedPush]) {
      const original = target.push;
      const wrapper = function (this: unknown, ...commands: unknown[]) {
        const kept = commands.filter((command) => !reroute(command));
        return kept.length > 0
          ? original.apply(target, kept)
          : (target as { length?: number }).length;
      };
      try {
        Object.defineProperty(target, 'push', {
          value: wrapper,
          configurable: true,
          writable: true,
        });
        Object.defineProperty(target, wrappedPush, { value: true, configurable: true });
      } catch {
        // A frozen $crisp: we can still register, just not protect against replacement.
      }
    }
    for (const event of dispatchers.keys()) target.push(['on', event, dispatcherFor(event)]);
    readSession();
  };

  const foreign = new Map<string, CrispListener>();
  const reroute = (command: unknown): boolean => {
    if (!Array.isArray(command) || typeof command[1] !== 'string' || !dispatchers.has(command[1]))
      return false;
    const [verb, event, callback] = command as [unknown, string, unknown];
    if (verb === 'on' && typeof callback === 'function' && callback !== dispatchers.get(event)) {
      if (isDevelopment()) {
        warn(
          `crisp-unread: a script registered its own $crisp handler for "${event}", which would replace ` +
            `crisp-unread's. It was added as a listener instead: register with crispEvents().on("${event}", …).`,
        );
      }
      const previous = foreign.get(event);
      if (previous) listeners.get(event)?.delete(previous);
      foreign.set(event, callback as CrispListener);
      listenersOf(event).add(callback as CrispListener);
      return true;
    }
    if (verb === 'off') {
      const previous = foreign.get(event);
      if (previous) listeners.get(event)?.delete(previous);
      foreign.delete(event);
      return true;
    }
    return false;
  };

  const listenersOf = (event: string) => {
    let set = listeners.get(event);
    if (!set) {
      set = new Set();
      listeners.set(event, set);
    }
    return set;
  };

  const stopWaiting = () => {
    clearInterval(waitTimer);
    waitTimer = undefined;
  };

  /** Before Crisp's snippet has defined `$crisp` there is nothing to queue on: look again soon. */
  const waitForSnippet = () => {
    waitTimer ??= setInterval(() => {
      if (crisp()) attach();
    }, 250);
  };

  const totalListeners = () => {
    let total = 0;
    for (const set of listeners.values()) total += set.size;
    return total;
  };

  const on = (event: string, listener: CrispListener) => {
    const isNew = !dispatchers.has(event);
    const dispatcher = dispatcherFor(event);
    listenersOf(event).add(listener);
    const target = crisp();
    if (target && target !== attachedTo)
      attach(); // registers every owned event, this one too
    else if (target && isNew) target.push(['on', event, dispatcher]);
    else if (!target) waitForSnippet();
    return () => {
      listeners.get(event)?.delete(listener);
      if (totalListeners() === 0) stopWaiting();
    };
  };

  return {
    on,
    get(key) {
      attach();
      return get(key);
    },
    isLoaded() {
      attach();
      return isLoaded();
    },
    do(action, args) {
      attach();
      crisp()?.push(args === undefined ? ['do', action] : ['do', action, args]);
    },
    session$: new Observable<string | null>((subscriber) => {
      const off = on('session:loaded', () => {});
      readSession();
      const subscription = session.pipe(distinctUntilChanged()).subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        off();
      };
    }),
  };
}
