import { createUnreadRelay } from '@crisp-unread/relay';

const relay = createUnreadRelay({
  websiteId: Bun.env.CRISP_WEBSITE_ID ?? '',
  identifier: Bun.env.CRISP_IDENTIFIER ?? '',
  key: Bun.env.CRISP_KEY ?? '',
  webhookSecret: Bun.env.CRISP_WEBHOOK_SECRET,
  baseUrl: Bun.env.CRISP_API_URL,
});

Bun.serve({
  hostname: Bun.env.HOST ?? '127.0.0.1',
  port: Number(Bun.env.PORT ?? 8787),
  // Seconds, above the relay's 15 s heartbeat: Bun's default of 10 cuts quiet streams.
  idleTimeout: 30,
  // Bun's server tells the relay the visitor's address (`requestIP`), for the per-client limits.
  fetch: (request, server) => relay.fetch(request, server),
});
