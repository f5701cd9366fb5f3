// The simulated process's clock: `setTimeout`, `clearTimeout`, `setInterval`, `clearInterval`,
// `Date` and `performance.now` replaced by a virtual clock whose timers sit on a binary heap.
//
// Why not a library: @sinonjs/fake-timers (and jest's and vitest's fake timers, which are it) finds
// its next timer by scanning every timer it holds, so a day slows as pages pile up (10,000 open
// pages hold about 20,000 timers: heartbeats, idle timeouts, polls); timekeeper and mockdate fake
// `Date` only. No maintained package keeps fake timers on a heap, so this one does: O(log n) to
// add, run or clear a timer.
import { performance } from 'node:perf_hooks';

type Callback = (...args: unknown[]) => void;

/** What the clock's `setTimeout` returns: Node's `Timeout` as far as the product uses it. */
export class SimTimer {
  /** When it is due, and its order of scheduling (same time: first in, first out). */
  at = 0;
  order = 0;
  /** Its place on the clock's heap, or -1 when it is not on it (run, or cleared). */
  index = -1;
  /** When a `refresh` moved it past `at`: the clock moves it there when `at` comes up. */
  refreshedTo = 0;

  constructor(
    readonly clock: SimClock,
    readonly callback: Callback,
    readonly args: unknown[],
    readonly delayMs: number,
    readonly repeat: boolean,
  ) {}

  /** Puts the timer on the heap `delayMs` from now (moves it when it is on it already). */
  arm(): this {
    this.clock.schedule(this, this.clock.now + this.delayMs);
    return this;
  }

  cancel(): void {
    this.clock.remove(this);
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

  /**
   * Node's `refresh`: due `delayMs` from now. A timer on the heap only notes the time, and the
   * clock moves it when it comes up: a stream's idle timer, refreshed by every chunk, then costs a
   * heap operation per deadline, not per chunk.
   */
  refresh(): this {
    if (this.index < 0) return this.arm();
    this.refreshedTo = this.clock.now + this.delayMs;
    return this;
  }

  [Symbol.toPrimitive](): number {
    return 0;
  }
}

export class SimClock {
  now: number;
  #order = 0;
  readonly #heap: SimTimer[] = [];
  /** Timers run so far (the cost of a day, beside its events). */
  ran = 0;

  constructor(now: number) {
    this.now = now;
  }

  /** Runs `callback` at the absolute time `at` (the traffic's agenda). */
  at(at: number, callback: () => void): SimTimer {
    return new SimTimer(this, callback, [], Math.max(0, at - this.now), false).arm();
  }

  /** Puts `timer` on the heap at `at`, after every timer already due then. */
  schedule(timer: SimTimer, at: number): void {
    this.remove(timer);
    timer.at = at;
    timer.refreshedTo = 0;
    timer.order = this.#order++;
    timer.index = this.#heap.length;
    this.#heap.push(timer);
    this.#up(timer.index);
  }

  /**
   * Takes `timer` off the heap at once, as Node's `clearTimeout` unlinks it: a cleared timer
   * left on the heap until its time would hold its callback's closure (a request, its abort
   * controller, a page's stream) in memory for that long.
   */
  remove(timer: SimTimer): void {
    const { index } = timer;
    if (index < 0) return;
    timer.index = -1;
    const heap = this.#heap;
    const last = heap.pop()!;
    if (index === heap.length) return;
    heap[index] = last;
    last.index = index;
    this.#down(index);
    this.#up(last.index);
  }

  /** When the next timer is due, or `undefined` when none is left. */
  nextAt(): number | undefined {
    return this.#next()?.at;
  }

  /**
   * Moves the clock to the next timer and runs it (an interval is put back first, as Node
   * does). Returns false when no timer is left.
   */
  runNext(): boolean {
    const timer = this.#next();
    if (!timer) return false;
    this.now = Math.max(this.now, timer.at);
    if (timer.repeat) timer.arm();
    else this.remove(timer);
    this.ran += 1;
    timer.callback(...timer.args);
    return true;
  }

  /** The timer due first, once the refreshed ones on top are moved to their times. */
  #next(): SimTimer | undefined {
    let timer = this.#heap[0];
    while (timer && timer.refreshedTo > timer.at) {
      this.schedule(timer, timer.refreshedTo);
      timer = this.#heap[0];
    }
    return timer;
  }

  /** Timers on the heap. */
  size(): number {
    return this.#heap.length;
  }

  #up(start: number): void {
    const heap = this.#heap;
    const timer = heap[start]!;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent]!;
      if (!before(timer, above)) break;
      heap[i] = above;
      above.index = i;
      i = parent;
    }
    heap[i] = timer;
    timer.index = i;
  }

  #down(start: number): void {
    const heap = this.#heap;
    const { length } = heap;
    const timer = heap[start]!;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && before(heap[right]!, heap[left]!) ? right : left;
      const below = heap[child]!;
      if (!before(below, timer)) break;
      heap[i] = below;
      below.index = i;
      i = child;
    }
    heap[i] = timer;
    timer.index = i;
  }
}

const before = (a: SimTimer, b: SimTimer) => a.at < b.at || (a.at === b.at && a.order < b.order);

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
