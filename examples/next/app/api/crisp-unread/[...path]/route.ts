import { createUnreadRelay, redisStore } from '@crisp-unread/relay';
import { Redis } from 'ioredis';

// Several instances (a serverless or scaled host) must share one Redis: each instance otherwise
// caches, budgets and pushes alone, and a web hook reaches only the streams of the instance that
// got it. One instance (`next start` on one server) is fine with the in-memory store.
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

// The options are read on the first request, not when `next build` evaluates this module: the
// Crisp credentials (and Redis) exist only where the app runs.
const relay = createUnreadRelay(() => ({
  websiteId: process.env.CRISP_WEBSITE_ID ?? '',
  identifier: process.env.CRISP_IDENTIFIER ?? '',
  key: process.env.CRISP_KEY ?? '',
  webhookSecret: process.env.CRISP_WEBHOOK_SECRET,
  baseUrl: process.env.CRISP_API_URL,
  basePath: '/api/crisp-unread',
  store: sharedStore(),
}));

const handle = (request: Request) => relay.fetch(request);

// How long one function may hold a stream open where the host limits it (Vercel: up to your
// plan's limit); the page's store opens a new stream when it ends. Ignored by `next start`.
export const maxDuration = 300;

export { handle as GET, handle as OPTIONS, handle as POST };
