import { fileURLToPath } from 'node:url';
import { describeRelayBadge } from '@crisp-unread/example-kit/e2e';
import { expect } from 'vitest';

describeRelayBadge('the Angular badge example on the relay (the default) in Chromium', {
  distDir: fileURLToPath(new URL('../dist/browser', import.meta.url)),
  screenshot: fileURLToPath(new URL('../test-results/angular-relay-badge.png', import.meta.url)),
  statusThrough: 'toSignal(state$)',
  badgeThrough: 'unreadCount$ | async',
  async whenReady(page) {
    // Zoneless: no zone.js patches the page; AsyncPipe and signals schedule the view's updates.
    expect(await page.evaluate(() => 'Zone' in window)).toBe(false);
  },
});
