// Shared helpers of the bench groups: the row type, timing, percentiles and a bounded HTTP load.
import { Worker } from 'node:worker_threads';

/** One line of the table: the project's figure beside a baseline measured in the same run. */
export interface Row {
  group: string;
  metric: string;
  /** The project's figure, or `null` when it could not be measured (see `note`). */
  value: number | null;
  unit: string;
  /** The baseline's figure, measured in the same run, or `null` when there is none. */
  baseline: number | null;
  /** What the baseline is, in a few words. */
  baselineLabel: string;
  /** The goal, in words (`<= 1`, `< 50 ms`, `<= 4000 B`). */
  goal: string;
  /** Whether the goal is met; `null` for reference rows without a goal. */
  pass: boolean | null;
  /** Anything a reader needs to read the figure right. */
  note?: string;
  /** The `--scale` it was measured at, when not 1. */
  scale?: number;
}

/** What a group gets: the mode, the scale asked for (`--scale=N`, 1 unless given) and a logger. */
export interface GroupContext {
  quick: boolean;
  scale: number;
  log(line: string): void;
  /**
   * Figures for `results.json` beside the rows, under `key` (e.g. `relayDay` → `{ x10: … }`):
   * merged with what earlier runs wrote there.
   */
  report(key: string, value: Record<string, unknown>): void;
}

export type Group = (context: GroupContext) => Promise<Row[]>;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The `p`-th percentile (0–100) by nearest rank of a non-empty sample. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const round = (value: number, digits = 2) => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

/** Resolves when `predicate` holds, polling every `everyMs`; rejects after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
  everyMs = 5,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Sends `total` GET requests to `url`, `concurrency` at a time over keep-alive sockets, from a
 * worker thread (the server under test keeps the main thread), and returns requests per second.
 * Every answer must be a 200: a failing load measures nothing.
 */
export function load(url: string, total: number, concurrency: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.mjs', import.meta.url), {
      workerData: { url, total, concurrency },
    });
    worker.once('message', ({ rate, failed }: { rate: number; failed: number }) => {
      if (failed > 0) reject(new Error(`bench: ${failed} of ${total} requests to ${url} failed`));
      else resolve(rate);
    });
    worker.once('error', reject);
  });
}

export const median = (samples: readonly number[]) => percentile(samples, 50);
