import { createUnreadRelay, type UnreadRelay } from '@crisp-unread/relay';

// Never prerendered, and the relay is created on the first request: `next build` evaluates this
// module, and the Crisp credentials exist only where the app runs.
export const dynamic = 'force-dynamic';

let relay: UnreadRelay | undefined;

function handle(request: Request): Promise<Response> | Response {
  relay ??= createUnreadRelay({
    websiteId: process.env.CRISP_WEBSITE_ID ?? '',
    identifier: process.env.CRISP_IDENTIFIER ?? '',
    key: process.env.CRISP_KEY ?? '',
    ...(process.env.CRISP_WEBHOOK_SECRET && { webhookSecret: process.env.CRISP_WEBHOOK_SECRET }),
    ...(process.env.CRISP_API_URL && { baseUrl: process.env.CRISP_API_URL }),
    basePath: '/api/crisp-unread',
  });
  return relay.fetch(request);
}

export { handle as GET, handle as OPTIONS, handle as POST };
