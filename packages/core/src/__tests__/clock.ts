import { vi } from 'vitest';

/**
 * Fake time for the store's timers while real HTTP runs on loopback: timers and `Date` are fake,
 * the I/O callbacks (`setImmediate`, the sockets) are real. Call in `beforeEach`.
 */
export function useFakeClock(now = 1_000_000): void {
  vi.useFakeTimers({
    now,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Lets real I/O run until `idle()` holds for a few turns of the event loop in a row. */
export async function drain(idle: () => boolean): Promise<void> {
  let quiet = 0;
  for (let turns = 0; quiet < 5; turns++) {
    if (turns > 50_000) throw new Error('drain: the I/O never settled');
    await turn();
    quiet = idle() ? quiet + 1 : 0;
  }
}

/**
 * Advances fake time by `ms` in steps of `stepMs`, letting the real I/O that each step starts
 * (the reads the store makes) finish before the clock moves on.
 */
export async function runFor(ms: number, idle: () => boolean, stepMs = 50): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += stepMs) {
    await vi.advanceTimersByTimeAsync(Math.min(stepMs, ms - elapsed));
    await drain(idle);
  }
}
