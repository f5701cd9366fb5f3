// Runs one bench group in its own process (index.ts starts one per group), so that a group's
// globals (happy-dom), timers and sockets never touch another's figures.
// Usage: node --import tsx src/group.ts <group> <out.json> [--quick]
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
const group = name ? groups[name] : undefined;
if (!group || !out) {
  console.error(`usage: group.ts <${Object.keys(groups).join('|')}> <out.json> [--quick]`);
  process.exit(2);
}

try {
  const rows = await group({
    quick,
    log: (line) => console.error(`  [${name}] ${line}`),
  });
  writeFileSync(out, JSON.stringify(rows));
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
