// Runs one bench group in its own process (index.ts starts one per group), so that a group's
// globals (happy-dom), timers and sockets never touch another's figures.
// Usage: node --import tsx src/group.ts <group> <out.json> [--quick] [--scale=N]
import { writeFileSync } from 'node:fs';
import { latency } from './groups/latency';
import { relay } from './groups/relay';
import { relayDay } from './groups/relayDay';
import { renders } from './groups/renders';
import { requests } from './groups/requests';
import { sizes } from './groups/sizes';
import type { Group } from './util';

const groups: Record<string, Group> = {
  sizes,
  requests,
  relay,
  'relay-day': relayDay,
  latency,
  renders,
};

const [name, out] = process.argv.slice(2);
const quick = process.argv.includes('--quick');
const scale = Number(
  process.argv.find((arg) => arg.startsWith('--scale='))?.slice('--scale='.length) ?? 1,
);
const group = name ? groups[name] : undefined;
if (!group || !out || !(scale > 0)) {
  console.error(
    `usage: group.ts <${Object.keys(groups).join('|')}> <out.json> [--quick] [--scale=N]`,
  );
  process.exit(2);
}

try {
  const reports: Record<string, Record<string, unknown>> = {};
  const rows = await group({
    quick,
    scale,
    log: (line) => console.error(`  [${name}] ${line}`),
    report: (key, value) => {
      reports[key] = { ...reports[key], ...value };
    },
  });
  const scaled = scale === 1 ? rows : rows.map((row) => ({ ...row, scale }));
  writeFileSync(out, JSON.stringify({ rows: scaled, reports }));
  // Done: a library's idle keep-alive socket or grace timer must not hold the process.
  process.exit(0);
} catch (error) {
  console.error(`  [${name}] crashed:`, error);
  writeFileSync(
    out,
    JSON.stringify({ crashed: error instanceof Error ? error.message : String(error) }),
  );
  process.exit(1);
}
