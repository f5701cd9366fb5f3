// `pnpm demo`: the built app (`pnpm build` first) on Nitro's Node server, beside a Crisp emulator.
import { fileURLToPath } from 'node:url';
import { runAppDemo } from '@crisp-unread/example-kit';

await runAppDemo({
  command: process.execPath,
  args: ['.output/server/index.mjs'],
  cwd: fileURLToPath(new URL('.', import.meta.url)),
  webhookPath: '/api/crisp-unread/webhooks/crisp',
});
