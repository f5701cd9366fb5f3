// The simulated process's clock: `setTimeout`, `clearTimeout`, `setInterval`, `clearInterval`,
// `Date` and `performance.now` replaced by a virtual clock whose timers sit on a binary heap.
//
// Why not a library: @sinonjs/fake-timers (and jest's and vitest's fake timers, which are it) finds
// its next timer by scanning every timer it holds, so a day slows as pages pile up (10,000 open
// pages hold about 20,000 timers: heartbeats, idle timeouts, polls); timekeeper and mockdate fake
// `Date` only. No maintained package keeps fake timers on a heap, so this one does: O(log n) to
// add or run a timer, O(1) to cancel one (it is skipped when it comes up).
import { performance } from 'node:perf_hooks';

type Callback = (...args: unknown[]) => void;

interface Entry {
  at: number;
  /** Order of scheduling: timers due at the same time run first in, first out. */
  order: number;
  readonly handle: SimTimer;
}

/** What the clock's `setTimeout` returns: Node's `Timeout` as far as the product uses it. */
export class SimTimer {
  #entry: Entry | undefined;

  constructor(
    readonly clock: SimClock,
    readonly callback: Callback,
    readonly args: unknown[],
    readonly delayMs: number,
    readonly repeat: boolean,
  ) {}

  /** Puts the timer on the heap `delayMs` from now (drops a former place). */
  arm(): this {
    this.#entry = this.clock.push(this, this.clock.now + this.delayMs);
    return this;
  }

  cancel(): void {
    this.#entry = undefined;
  }

  /** Whether `entry` is this timer's current place on the heap (else it was cancelled or moved). */
  owns(entry: Entry): boolean {
    return this.#entry === entry;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  hasRef(): boolean {
    return true;
  }

  refresh(): this {
    return this.arm();
  }

  [Symbol.toPrimitive](): number {
    return 0;
  }
}

export class SimClock {
  now: number;
  #order = 0;
  readonly #heap: Entry[] = [];
  /** Timers run so far (the cost of a day, beside its events). */
  ran = 0;

  constructor(now: number) {
    this.now = now;
  }

  /** Runs `callback` at the absolute time `at` (the traffic's agenda). */
  at(at: number, callback: () => void): SimTimer {
    return new SimTimer(this, callback, [], Math.max(0, at - this.now), false).arm();
  }

  push(handle: SimTimer, at: number): Entry {
    const entry: Entry = { at, order: this.#order++, handle };
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
    return entry;
  }

  /** When the next live timer is due, or `undefined` when none is left. */
  nextAt(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.at;
  }

  /**
   * Moves the clock to the next live timer and runs it (an interval is put back first, as Node
   * does). Returns false when no timer is left.
   */
  runNext(): boolean {
    this.#dropCancelled();
    const entry = this.#pop();
    if (!entry) return false;
    const { handle } = entry;
    this.now = Math.max(this.now, entry.at);
    if (handle.repeat) handle.arm();
    else handle.cancel();
    this.ran += 1;
    handle.callback(...handle.args);
    return true;
  }

  /** Live and cancelled timers on the heap (a cancelled one leaves when it comes up). */
  size(): number {
    return this.#heap.length;
  }

  #dropCancelled(): void {
    while (this.#heap.length > 0 && !this.#heap[0]!.handle.owns(this.#heap[0]!)) this.#pop();
  }

  #pop(): Entry | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    const length = heap.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

const before = (a: Entry, b: Entry) => a.at < b.at || (a.at === b.at && a.order < b.order);

/**
 * Installs `clock` as the process's timers and time; returns the function that puts the real
 * ones back. `setImmediate` and `queueMicrotask` stay real: the day waits on them for requests
 * in flight to settle before it moves the clock.
 */
export function installSimClock(clock: SimClock): () => void {
  const saved = {
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
    setInterval: globalThis.setInterval,
    clearInterval: globalThis.clearInterval,
    Date: globalThis.Date,
    performanceNow: performance.now,
  };
  const RealDate = saved.Date;
  const origin = clock.now;
  // As Node: a delay below 1 ms or above 2^31 - 1 ms is 1 ms.
  const timer =
    (repeat: boolean) =>
    (callback: Callback, delayMs?: unknown, ...args: unknown[]) => {
      const ms = Number(delayMs);
      const delay = ms >= 1 && ms <= 2_147_483_647 ? ms : 1;
      return new SimTimer(clock, callback, args, delay, repeat).arm();
    };
  const clear = (handle: unknown) => {
    if (handle instanceof SimTimer) handle.cancel();
  };
  class SimDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(clock.now);
      else super(...(args as [string]));
    }

    static override now(): number {
      return clock.now;
    }
  }
  const globals = globalThis as unknown as Record<string, unknown>;
  globals.setTimeout = timer(false);
  globals.setInterval = timer(true);
  globals.clearTimeout = clear;
  globals.clearInterval = clear;
  globals.Date = SimDate;
  // The product never reads it today; a page or relay that did would see the sim's time.
  performance.now = () => clock.now - origin;
  return () => {
    Object.assign(globals, {
      setTimeout: saved.setTimeout,
      clearTimeout: saved.clearTimeout,
      setInterval: saved.setInterval,
      clearInterval: saved.clearInterval,
      Date: saved.Date,
    });
    performance.now = saved.performanceNow;
  };
}
