import { createUnreadRelay } from './createUnreadRelay';
import { relayOptionsFromEnv, serveUnreadRelay } from './node';

/** `crisp-unread-relay`: a relay configured from the environment (see README), PORT and HOST. */
export async function main(env: Record<string, string | undefined> = process.env): Promise<void> {
  const relay = createUnreadRelay(relayOptionsFromEnv(env));
  const served = await serveUnreadRelay(relay, {
    port: env.PORT ? Number(env.PORT) : 8787,
    hostname: env.HOST || '127.0.0.1',
  });
  process.stdout.write(`crisp-unread relay listening on ${served.url}\n`);
  const stop = () => {
    served.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
