import type { UnreadError, UnreadStatus } from '@crisp-unread/core';
import { useUnread } from '@crisp-unread/react';

const statusText = (status: UnreadStatus, error: UnreadError | null) =>
  status === 'error' ? `error: ${error?.code ?? 'unknown'}` : status.replace('-', ' ');

/** A "Messages" button with a badge of unread messages (hidden at 0), and the store's status. */
export function ChatButton({ onOpen }: { onOpen?: () => void }) {
  const { count, status, error } = useUnread();
  return (
    <div className="chat">
      <button
        type="button"
        className="chat-button"
        onClick={onOpen}
        aria-label={count ? `Messages, ${count} unread` : 'Messages'}
      >
        Messages
        {count ? (
          <span className="badge" data-testid="badge">
            {count}
          </span>
        ) : null}
      </button>
      <p className="status" data-testid="status" role="status">
        {statusText(status, error)}
      </p>
    </div>
  );
}
