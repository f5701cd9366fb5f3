import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type AppServer, startAppServer } from '@crisp-unread/example-kit';
import type { ConsoleMessage, Page } from 'playwright-core';

export const resultsDir = fileURLToPath(new URL('../test-results', import.meta.url));

/** `next start` on the build `next build` left in .next (the `build` task), beside the emulator. */
export function startNextApp(): Promise<AppServer> {
  const next = createRequire(import.meta.url).resolve('next/dist/bin/next');
  return startAppServer({
    command: process.execPath,
    args: [next, 'start', '--hostname', '127.0.0.1'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    webhookPath: '/api/crisp-unread/webhooks/crisp',
  });
}

/** Every console error and warning of the page, and every uncaught error, as text. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      problems.push(`console.${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  return problems;
}
