import { createUnreadRelay } from '@crisp-unread/relay';

const relay = createUnreadRelay({
  websiteId: Deno.env.get('CRISP_WEBSITE_ID') ?? '',
  identifier: Deno.env.get('CRISP_IDENTIFIER') ?? '',
  key: Deno.env.get('CRISP_KEY') ?? '',
  webhookSecret: Deno.env.get('CRISP_WEBHOOK_SECRET'),
  baseUrl: Deno.env.get('CRISP_API_URL'),
});

Deno.serve(
  { hostname: Deno.env.get('HOST') ?? '127.0.0.1', port: Number(Deno.env.get('PORT') ?? 8787) },
  // The visitor's address, for the per-client limits: Deno hands it apart from the request.
  (request, info) => relay.fetch(request, { clientAddress: info.remoteAddr.hostname }),
);
