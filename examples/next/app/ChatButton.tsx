import type { UnreadState } from '@crisp-unread/core';

const statusText = ({ status, error }: Pick<UnreadState, 'status' | 'error'>) =>
  status === 'error' ? `error: ${error?.code ?? 'unknown'}` : status.replace('-', ' ');

/** A "Messages" button with a badge of unread messages (hidden at 0), and the store's status. */
export function ChatButton({
  state,
  onOpen,
}: {
  state: Pick<UnreadState, 'count' | 'status' | 'error'>;
  onOpen?: () => void;
}) {
  const { count } = state;
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
        {statusText(state)}
      </p>
    </div>
  );
}
