// `pnpm bench`: runs each group in its own process, prints the table and writes it to
// bench/results.md and bench/results.json. Goals are reported, never asserted: the exit code is
// non-zero only when a measurement itself crashed.
// Usage: pnpm bench [-- --quick] [-- --only=requests,relay] [-- --scale=10]
// With --only, the other groups' rows and reports of the last run of the same mode are kept.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Row } from './util';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const scaleArg = process.argv.find((arg) => arg.startsWith('--scale='));
const scale = scaleArg ? Number(scaleArg.slice('--scale='.length)) : 1;
const allGroups = ['sizes', 'requests', 'relay', 'relay-day', 'latency', 'renders'];
const groups = only ? allGroups.filter((group) => only.includes(group)) : allGroups;
// A simulated day (relay-day) runs a day of traffic four times over (two relay days side by side,
// then two small baselines), for many minutes at scale 1 and longer at 10x; the others take seconds.
const groupTimeoutMs = (group: string) =>
  group === 'relay-day'
    ? quick
      ? 120_000
      : 1_800_000 * Math.max(1, scale)
    : quick
      ? 90_000
      : 180_000;

type Reports = Record<string, Record<string, unknown>>;

interface Outcome {
  group: string;
  rows: Row[];
  reports?: Reports;
  crashed?: string;
  seconds: number;
}

function runGroup(group: string, dir: string): Promise<Outcome> {
  const out = join(dir, `${group}.json`);
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/group.ts',
        group,
        out,
        ...(quick ? ['--quick'] : []),
        ...(scaleArg ? [scaleArg] : []),
      ],
      {
        cwd: benchDir,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, NODE_ENV: 'production' },
      },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), groupTimeoutMs(group));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      let result: { rows: Row[]; reports: Reports } | { crashed: string } | undefined;
      try {
        result = JSON.parse(readFileSync(out, 'utf8'));
      } catch {
        result = undefined;
      }
      if (result && 'rows' in result && code === 0) resolve({ group, ...result, seconds });
      else {
        const crashed =
          result && 'crashed' in result
            ? result.crashed
            : signal
              ? `killed by ${signal} after ${Math.round(seconds)} s`
              : `exited with ${code}`;
        resolve({ group, rows: [], crashed, seconds });
      }
    });
  });
}

const formatNumber = (value: number) =>
  Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);

const cell = (value: number | null, unit: string) =>
  value === null ? 'not measured' : `${formatNumber(value)} ${unit}`;

const met = (pass: boolean | null) => (pass === null ? '—' : pass ? 'yes' : 'NO');

function markdown(outcomes: Outcome[], totalSeconds: number): string {
  const lines = [
    `# crisp-unread bench${quick ? ' (quick mode: small counts, short windows)' : ''}`,
    '',
    `Node ${process.version}, ${process.platform}/${process.arch}, ${availableParallelism()} × ${cpus()[0]?.model.trim() ?? 'CPU'}, loopback only. ` +
      `${new Date().toISOString().slice(0, 10)}; ${Math.round(totalSeconds)} s in all. ` +
      'Each baseline is measured in the same run. Timings are reported, never asserted.',
    '',
    '| Group | Metric | Project | Baseline | Goal | Met? |',
    '| --- | --- | ---: | --- | --- | :---: |',
  ];
  const notes: string[] = [];
  for (const outcome of outcomes) {
    if (outcome.crashed) {
      lines.push(`| ${outcome.group} | (the group crashed) | not measured | | | — |`);
      notes.push(`${outcome.group}: crashed: ${outcome.crashed}`);
      continue;
    }
    for (const row of outcome.rows) {
      const baseline =
        row.baseline === null
          ? row.baselineLabel || '—'
          : `${cell(row.baseline, row.unit)} (${row.baselineLabel})`;
      const marker = row.note ? ` [${notes.length + 1}]` : '';
      if (row.note) notes.push(`${row.metric}: ${row.note}`);
      lines.push(
        `| ${row.group} | ${row.metric}${marker} | ${cell(row.value, row.unit)} | ${baseline} | ${row.goal} | ${met(row.pass)} |`,
      );
    }
  }
  if (notes.length > 0) {
    lines.push('', ...notes.map((note, index) => `${index + 1}. ${note}`));
  }
  return `${lines.join('\n')}\n`;
}

const dir = mkdtempSync(join(tmpdir(), 'crisp-unread-bench-'));
const started = performance.now();
const outcomes: Outcome[] = [];
try {
  for (const group of groups) {
    console.error(`▸ ${group}${quick ? ' (quick)' : ''}`);
    const outcome = await runGroup(group, dir);
    console.error(
      `  ${group}: ${outcome.crashed ? `CRASHED (${outcome.crashed})` : `${outcome.rows.length} rows`} in ${outcome.seconds.toFixed(1)} s`,
    );
    outcomes.push(outcome);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const totalSeconds = (performance.now() - started) / 1000;

const resultsPath = join(benchDir, 'results.json');
interface Results {
  mode: string;
  rows: Row[];
  reports?: Reports;
}
const earlier: Results | undefined = existsSync(resultsPath)
  ? JSON.parse(readFileSync(resultsPath, 'utf8'))
  : undefined;
const kept = only && earlier?.mode === (quick ? 'quick' : 'full') ? earlier : undefined;
// The groups not run this time, and the rows of other scales of those run, as the last run of
// the same mode left them (in the groups' order).
const merged = allGroups.flatMap((group): Outcome[] => {
  const ran = outcomes.find((outcome) => outcome.group === group);
  const rows = (kept?.rows ?? []).filter(
    (row) => row.group === group && (!ran || (row.scale ?? 1) !== scale),
  );
  const byScale = (a: Row, b: Row) => (a.scale ?? 1) - (b.scale ?? 1);
  if (ran) return [{ ...ran, rows: [...ran.rows, ...rows].sort(byScale) }];
  return rows.length > 0 ? [{ group, rows, seconds: 0 }] : [];
});
const reports: Reports = { ...kept?.reports };
for (const outcome of outcomes) {
  for (const [key, value] of Object.entries(outcome.reports ?? {})) {
    reports[key] = { ...reports[key], ...value };
  }
}

const table = markdown(merged, totalSeconds);
console.log(`\n${table}`);
writeFileSync(join(benchDir, 'results.md'), table);
writeFileSync(
  resultsPath,
  `${JSON.stringify(
    {
      mode: quick ? 'quick' : 'full',
      date: new Date().toISOString(),
      node: process.version,
      platform: `${process.platform}/${process.arch}`,
      cpus: availableParallelism(),
      seconds: Math.round(totalSeconds),
      rows: merged.flatMap((outcome) => outcome.rows),
      reports,
      crashed: outcomes
        .filter((outcome) => outcome.crashed)
        .map(({ group, crashed }) => ({ group, crashed })),
    },
    null,
    2,
  )}\n`,
);
console.error(`wrote bench/results.md and bench/results.json in ${totalSeconds.toFixed(1)} s`);
if (outcomes.some((outcome) => outcome.crashed)) process.exitCode = 1;
