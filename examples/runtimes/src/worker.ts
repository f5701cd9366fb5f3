import { env } from 'cloudflare:workers';
import { createUnreadRelay } from '@crisp-unread/relay';

// Built at global scope, as the module loads: it starts nothing until the first request.
const relay = createUnreadRelay({
  websiteId: env.CRISP_WEBSITE_ID ?? '',
  identifier: env.CRISP_IDENTIFIER ?? '',
  key: env.CRISP_KEY ?? '',
  baseUrl: env.CRISP_API_URL,
});

// JSON only, and no web hooks: each isolate keeps its own cache, so counts are fresh for `ttlMs`.
export default {
  fetch: (request: Request) =>
    relay.fetch(request, { clientAddress: request.headers.get('CF-Connecting-IP') }),
};
