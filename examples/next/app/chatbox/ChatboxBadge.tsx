'use client';
import { createUnreadStore, crispChatbox } from '@crisp-unread/core';
import { useUnread } from '@crisp-unread/react';
import { Crisp } from 'crisp-sdk-web';
import { useEffect, useState } from 'react';
import { ChatButton } from '../ChatButton';

/** What the app's own `message:received` handler keeps: the last message an operator sent. */
interface ReceivedMessage {
  content?: unknown;
}

/**
 * Crisp's chatbox through `crisp-sdk-web`, the app's own `onMessageReceived` handler, and the
 * unread badge from the chatbox itself. crisp-unread shares the chatbox's events with the app:
 * `$crisp` keeps one callback per event, and neither handler replaces the other.
 */
export function ChatboxBadge({ websiteId, clientUrl }: { websiteId: string; clientUrl?: string }) {
  const [store] = useState(() => createUnreadStore({ source: crispChatbox() }));
  const [lastMessage, setLastMessage] = useState<string | null>(null);

  useEffect(() => {
    Crisp.configure(websiteId, clientUrl === undefined ? {} : { clientUrl });
    Crisp.message.onMessageReceived((message: ReceivedMessage) => {
      setLastMessage(typeof message?.content === 'string' ? message.content : '(not text)');
    });
    return () => Crisp.message.offMessageReceived();
  }, [websiteId, clientUrl]);

  const state = useUnread(store);
  return (
    <>
      <ChatButton state={state} onOpen={() => Crisp.chat.open()} />
      <p className="status" data-testid="last-message">
        {lastMessage === null ? 'No message yet.' : `The operator said: ${lastMessage}`}
      </p>
    </>
  );
}
