import { fileURLToPath } from 'node:url';
import { describeRelayBadge } from '@crisp-unread/example-kit/e2e';

describeRelayBadge('the Svelte badge example on the relay (the default) in Chromium', {
  distDir: fileURLToPath(new URL('../dist', import.meta.url)),
  screenshot: fileURLToPath(new URL('../test-results/svelte-relay-badge.png', import.meta.url)),
  statusThrough: '$store',
  badgeThrough: '$count on unreadCount$',
});
