import { createUnreadRelay, redisStore } from '@crisp-unread/relay';
import { Redis } from 'ioredis';

// Several instances (a serverless or scaled host) must share one Redis: each instance otherwise
// caches, budgets and pushes alone, and a web hook reaches only the streams of the instance that
// got it. One instance (`node .output/server/index.mjs` on one server) is fine in memory.
function sharedStore() {
  const url = process.env.REDIS_URL;
  if (!url) return undefined;
  const client = new Redis(url, {
    maxRetriesPerRequest: 1, // a command fails fast while Redis is away (the store then uses memory)
    commandTimeout: 1000, // and while it hangs: the store then stops sending until a PING answers
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000), // keep reconnecting, at most every 2 s
  });
  client.on('error', () => {}); // ioredis reports each failed reconnection; the relay logs the state
  return redisStore({ client });
}

// The options are read on the first request, not when `nuxt build` bundles this route: the Crisp
// credentials (and Redis) exist only where the server runs.
const relay = createUnreadRelay(() => ({
  websiteId: process.env.CRISP_WEBSITE_ID ?? '',
  identifier: process.env.CRISP_IDENTIFIER ?? '',
  key: process.env.CRISP_KEY ?? '',
  webhookSecret: process.env.CRISP_WEBHOOK_SECRET,
  baseUrl: process.env.CRISP_API_URL,
  basePath: '/api/crisp-unread',
  store: sharedStore(),
}));

export default defineEventHandler((event) => relay.fetch(toWebRequest(event)));
