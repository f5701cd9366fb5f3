import { createUnreadRelay } from '@crisp-unread/relay';

// The options are read on the first request, not when `nuxt build` bundles this route: the Crisp
// credentials exist only where the server runs.
const relay = createUnreadRelay(() => ({
  websiteId: process.env.CRISP_WEBSITE_ID ?? '',
  identifier: process.env.CRISP_IDENTIFIER ?? '',
  key: process.env.CRISP_KEY ?? '',
  webhookSecret: process.env.CRISP_WEBHOOK_SECRET,
  baseUrl: process.env.CRISP_API_URL,
  basePath: '/api/crisp-unread',
}));

export default defineEventHandler((event) => relay.fetch(toWebRequest(event)));
