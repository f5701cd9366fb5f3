#!/usr/bin/env node
// Starts the Crisp emulator with one website and one session, prints them as one JSON line on
// stdout (or, with `--print-env`, as CRISP_*= lines for a .env file) and runs until SIGINT or
// SIGTERM. `--port` (or PORT) picks the port (default 4010);
// `--webhook-url` and `--webhook-secret` (or CRISP_EMULATOR_WEBHOOK_URL and
// CRISP_EMULATOR_WEBHOOK_SECRET) make it post signed web hooks, e.g. to a relay.
import { startFromCommandLine } from '../dist/cli.js';

let started;
try {
  started = await startFromCommandLine(process.argv.slice(2), process.env);
} catch (error) {
  process.stderr.write(`crisp-emulator: ${error instanceof Error ? error.message : error}\n`);
  process.exit(2);
}
const { emulator, output } = started;
process.stdout.write(output);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await emulator.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
