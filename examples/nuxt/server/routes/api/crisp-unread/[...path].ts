import { createUnreadRelay, type UnreadRelay } from '@crisp-unread/relay';

// Created on the first request: `nuxt build` never needs the Crisp credentials, which exist only
// where the server runs.
let relay: UnreadRelay | undefined;

export default defineEventHandler((event) => {
  relay ??= createUnreadRelay({
    websiteId: process.env.CRISP_WEBSITE_ID ?? '',
    identifier: process.env.CRISP_IDENTIFIER ?? '',
    key: process.env.CRISP_KEY ?? '',
    ...(process.env.CRISP_WEBHOOK_SECRET && { webhookSecret: process.env.CRISP_WEBHOOK_SECRET }),
    ...(process.env.CRISP_API_URL && { baseUrl: process.env.CRISP_API_URL }),
    basePath: '/api/crisp-unread',
  });
  return relay.fetch(toWebRequest(event));
});
