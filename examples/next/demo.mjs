// `pnpm demo`: the built app (`pnpm build` first) with `next start`, beside a Crisp emulator.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { runAppDemo } from '@crisp-unread/example-kit';

await runAppDemo({
  command: process.execPath,
  args: [
    createRequire(import.meta.url).resolve('next/dist/bin/next'),
    'start',
    '--hostname',
    '127.0.0.1',
  ],
  cwd: fileURLToPath(new URL('.', import.meta.url)),
  webhookPath: '/api/crisp-unread/webhooks/crisp',
});
