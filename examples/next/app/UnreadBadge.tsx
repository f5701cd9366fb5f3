'use client';
import { createUnreadStore, crispRelay } from '@crisp-unread/core';
import { useUnread } from '@crisp-unread/react';
import { useState } from 'react';
import { ChatButton } from './ChatButton';

/**
 * The visitor's unread count from the relay route (app/api/crisp-unread): no key in the page, and
 * counts pushed over Server-Sent Events. The store belongs to this browser (a session is one
 * visitor's), so it is created with the component; on the server it stays idle.
 */
export function UnreadBadge({ sessionId }: { sessionId: string | null }) {
  const [store] = useState(() =>
    createUnreadStore({
      source: crispRelay({ url: '/api/crisp-unread', stream: true }),
      sessionId,
    }),
  );
  const state = useUnread(store);
  return <ChatButton state={state} />;
}
