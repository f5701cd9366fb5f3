// The whole React badge path, as an app ships it: a store on the relay (with its SSE stream), the
// React hook, and a badge on screen. Measured with only react and react-dom left out.
import { createUnreadStore, crispRelay } from '@crisp-unread/core';
import { useUnread } from '@crisp-unread/react';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';

const store = createUnreadStore({
  source: crispRelay({ url: '/api/crisp-unread', stream: true }),
  sessionId: document.body.dataset.crispSession ?? null,
});

function Badge() {
  const { count } = useUnread(store);
  return count ? createElement('span', { className: 'badge' }, count) : null;
}

createRoot(document.getElementById('badge')).render(createElement(Badge));
