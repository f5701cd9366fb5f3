import type { UnreadError, UnreadStatus } from '@crisp-unread/core';
import { useUnread } from '@crisp-unread/react';

const staleHint = 'The relay could not refresh this count: it is the last one known.';

const statusText = (status: UnreadStatus, error: UnreadError | null) =>
  status === 'error' ? `error: ${error?.code ?? 'unknown'}` : status.replace('-', ' ');

/**
 * A "Messages" button with a badge of unread messages (hidden at 0), the store's status, and a
 * "stale" mark while the relay serves a count it could not refresh.
 */
export function ChatButton({ onOpen }: { onOpen?: () => void }) {
  const { count, status, error, stale } = useUnread();
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
      {stale ? (
        <span className="stale" data-testid="stale" title={staleHint}>
          stale
        </span>
      ) : null}
    </div>
  );
}
