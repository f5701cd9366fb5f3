import { fileURLToPath } from 'node:url';
import { describeRelayBadge } from '@crisp-unread/example-kit/e2e';

describeRelayBadge('the Vue badge example on the relay (the default) in Chromium', {
  distDir: fileURLToPath(new URL('../dist', import.meta.url)),
  screenshot: fileURLToPath(new URL('../test-results/vue-relay-badge.png', import.meta.url)),
  statusThrough: 'useUnread()',
  badgeThrough: 'count from useUnread()',
});
