#!/usr/bin/env node
// Starts a relay configured from environment variables (see the README) until SIGINT/SIGTERM.
import { main } from '../dist/cli.js';

main().catch((error) => {
  process.stderr.write(`crisp-unread-relay: ${error instanceof Error ? error.message : error}\n`);
  process.exit(1);
});
