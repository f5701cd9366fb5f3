// One simulated day in a process of its own, so that a run's days go in parallel, one per core:
// each day holds its own virtual clock over the process's globals, and a 10x day is CPU-bound for
// minutes. `runDays` spawns them; run as a script, this file simulates one day.
// Usage: node --import tsx src/day/dayProcess.ts <job.json> <result.json>
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../emulator';
import { type Attack, type DayResult, simulateDay } from './simulateDay';
import { buildDay } from './trafficModel';
import { naiveProxy, projectRelay, ttlRelay } from './variants';

export interface DayJob {
  readonly scale: number;
  readonly variant: 'relay' | 'ttl' | 'naive';
  /** The relay's daily budget (`relay` only). */
  readonly budget?: number;
  readonly attack?: Attack;
  readonly budgetMark?: number | null;
}

const variants = {
  relay: (job: DayJob) => projectRelay(job.budget),
  ttl: () => ttlRelay(),
  naive: () => naiveProxy(),
};

/** Runs `jobs`, at most one per core at a time; the results in the jobs' order. */
export async function runDays(jobs: readonly DayJob[]): Promise<DayResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-day-'));
  const script = fileURLToPath(import.meta.url);
  const results: DayResult[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < jobs.length; index = next++) {
      const [jobFile, resultFile] = [join(dir, `${index}.job.json`), join(dir, `${index}.json`)];
      writeFileSync(jobFile, JSON.stringify(jobs[index]));
      await new Promise<void>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          // Young-generation room: a day allocates requests, streams and states by the million,
          // and every scavenge copies what the open pages hold live at that moment, so fewer and
          // larger ones cost less (256 MB against 64: about 6% of a 3x day's morning); and
          // old-generation room for the pages open at the peak (a 10x day holds about 10,000).
          // One GC thread: the days run one per core, and a day's parallel GC helpers took CPU
          // from the other (a 3x pair side by side: 182 s a day against 198 s).
          [
            '--single-threaded-gc',
            '--min-semi-space-size=64',
            '--max-semi-space-size=256',
            '--max-old-space-size=8192',
            '--import',
            'tsx',
            script,
            jobFile,
            resultFile,
          ],
          // The IPC channel closes when this process dies (a group killed on its timeout): the
          // day then ends too instead of running on, orphaned.
          { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
        );
        child.on('error', reject);
        child.on('exit', (code, signal) =>
          code === 0
            ? resolve()
            : reject(new Error(`bench: a simulated day exited with ${signal ?? code}`)),
        );
      });
      results[index] = parseResult(readFileSync(resultFile, 'utf8'));
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(jobs.length, availableParallelism()) }, worker),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

// JSON has no Infinity: an event never shown travels as `null` in the latency arrays.
const toJson = (result: DayResult) =>
  JSON.stringify(result, (_key, value) => (value === Number.POSITIVE_INFINITY ? null : value));
const parseResult = (text: string): DayResult =>
  JSON.parse(text, function (this: unknown, _key, value) {
    return value === null && Array.isArray(this) ? Number.POSITIVE_INFINITY : value;
  });

async function main(jobFile: string, resultFile: string) {
  // Nothing reads the stacks of the errors a day makes by the hundred thousand (refused reads).
  Error.stackTraceLimit = 0;
  const job = JSON.parse(readFileSync(jobFile, 'utf8')) as DayJob;
  const emulator = await startEmulator();
  try {
    const result = await simulateDay({
      emulator,
      day: buildDay(job.scale),
      variant: variants[job.variant](job),
      ...(job.attack ? { attack: job.attack } : {}),
      budgetMark: job.budgetMark ?? null,
      // The full days say how far they are; a quick run's days take seconds.
      progress: job.scale >= 1 ? (line) => console.error(`  [relay-day] ${line}`) : undefined,
    });
    writeFileSync(resultFile, toJson(result));
  } finally {
    await emulator.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.on('disconnect', () => process.exit(1));
  const [jobFile, resultFile] = process.argv.slice(2);
  if (!jobFile || !resultFile) {
    console.error('usage: dayProcess.ts <job.json> <result.json>');
    process.exit(2);
  }
  await main(jobFile, resultFile);
  // Done: an idle keep-alive socket or a grace timer of the day must not hold the process.
  process.exit(0);
}
