#!/usr/bin/env node
// Starts the Crisp emulator with one website and one session, prints them as one JSON line on
// stdout and runs until SIGINT or SIGTERM. PORT picks the port (default 4010).
import { startCrispEmulator } from '../dist/index.js';

const port = Number(process.env.PORT ?? 4010);
const emulator = await startCrispEmulator({ port });
const website = emulator.createWebsite();
const sessionId = emulator.createSession(website.websiteId);
process.stdout.write(
  `${JSON.stringify({
    url: emulator.url,
    websiteId: website.websiteId,
    sessionId,
    identifier: website.identifier,
    key: website.key,
    tier: website.tier,
  })}\n`,
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await emulator.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
