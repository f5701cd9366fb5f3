// `pnpm demo`: the built app (`pnpm build` first) served beside a Crisp emulator and a relay.
import { fileURLToPath } from 'node:url';
import { startExampleServer } from '@crisp-unread/example-kit';

const server = await startExampleServer({
  distDir: fileURLToPath(new URL('dist/browser', import.meta.url)),
});
const session = `${server.emulator.url}/_emulator/websites/${server.website.websiteId}/sessions/${server.sessionId}`;
console.log(`\n  The Angular badge: ${server.url}  (direct REST: ${server.url}/?source=rest)`);
console.log(`  Crisp emulator: ${server.emulator.url} (throwaway website and key)`);
console.log(
  `  An operator sends 2 messages:  curl -X POST -d '{"count":2}' ${session}/operator-sends`,
);
console.log(`  The visitor reads them:        curl -X POST ${session}/visitor-reads`);
console.log('  Ctrl-C stops it.\n');
process.once('SIGINT', () => void server.close().then(() => process.exit(0)));
