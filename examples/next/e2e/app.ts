import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type AppServer, startAppServer } from '@crisp-unread/example-kit';

export const resultsDir = fileURLToPath(new URL('../test-results', import.meta.url));

/** `next start` on the build `next build` left in .next (the `build` task), beside the emulator. */
export function startNextApp(env: Record<string, string> = {}): Promise<AppServer> {
  const next = createRequire(import.meta.url).resolve('next/dist/bin/next');
  return startAppServer({
    command: process.execPath,
    args: [next, 'start', '--hostname', '127.0.0.1'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    webhookPath: '/api/crisp-unread/webhooks/crisp',
    env,
  });
}
