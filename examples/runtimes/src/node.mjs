// The relay on Node, as the relay README's Node section serves it.
import { createUnreadRelay } from '@crisp-unread/relay';
import { serveUnreadRelay } from '@crisp-unread/relay/node';

const relay = createUnreadRelay({
  websiteId: process.env.CRISP_WEBSITE_ID ?? '',
  identifier: process.env.CRISP_IDENTIFIER ?? '',
  key: process.env.CRISP_KEY ?? '',
  webhookSecret: process.env.CRISP_WEBHOOK_SECRET,
  baseUrl: process.env.CRISP_API_URL,
});
const served = await serveUnreadRelay(relay, {
  port: Number(process.env.PORT ?? 8787),
  hostname: process.env.HOST ?? '127.0.0.1',
});
process.once('SIGTERM', () => served.close());
