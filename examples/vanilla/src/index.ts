// The smallest plain-TypeScript use of the core: a live unread count in a Node program.
// Run it against Crisp with: CRISP_WEBSITE_ID=… CRISP_IDENTIFIER=… CRISP_KEY=… CRISP_SESSION_ID=… pnpm start
import { createUnreadStore, crispRest } from '@crisp-unread/core';

const { CRISP_WEBSITE_ID, CRISP_IDENTIFIER, CRISP_KEY, CRISP_SESSION_ID } = process.env;
if (!CRISP_WEBSITE_ID || !CRISP_IDENTIFIER || !CRISP_KEY || !CRISP_SESSION_ID) {
  console.error(
    'Set CRISP_WEBSITE_ID, CRISP_IDENTIFIER, CRISP_KEY and CRISP_SESSION_ID (or run `pnpm demo`).',
  );
  process.exit(1);
}

const store = createUnreadStore({
  source: crispRest({ websiteId: CRISP_WEBSITE_ID, identifier: CRISP_IDENTIFIER, key: CRISP_KEY }),
  sessionId: CRISP_SESSION_ID,
});

const subscription = store.unreadCount$.subscribe((count) => {
  console.log(count === null ? 'unread: unknown' : `unread: ${count}`);
});

process.once('SIGINT', () => {
  subscription.unsubscribe();
  store.dispose();
});
