#!/usr/bin/env node
// Starts a relay configured from environment variables (see the README) until SIGINT/SIGTERM;
// `crisp-unread-relay doctor` checks that configuration against Crisp instead, and exits.
import { doctor, main } from '../dist/cli.js';

const fail = (error) => {
  process.stderr.write(`crisp-unread-relay: ${error instanceof Error ? error.message : error}\n`);
  process.exit(1);
};

if (process.argv[2] === 'doctor') {
  doctor().then((code) => process.exit(code), fail);
} else {
  main().catch(fail);
}
