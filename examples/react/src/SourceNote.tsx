import type { SourceModeWithChatbox } from '@crisp-unread/example-kit/page';

const links = (
  <>
    Sources: <a href="/">relay</a> · <a href="/?source=chatbox">chatbox</a> ·{' '}
    <a href="/?source=rest">direct REST</a>
  </>
);

/** Says where the count comes from, and who holds the key. */
export function SourceNote({ mode }: { mode: SourceModeWithChatbox }) {
  return (
    <p className="note" data-testid="source-note">
      {mode === 'relay' ? (
        <>
          Relay source: the page holds no key. A relay on the server reads Crisp (here a local
          emulator), gets its web hooks, and pushes each new count over Server-Sent Events.{' '}
        </>
      ) : null}
      {mode === 'chatbox' ? (
        <>
          Chatbox source: the count comes from the Crisp chatbox on this page (here a fake one),
          with no key and no request.{' '}
        </>
      ) : null}
      {mode === 'rest' ? (
        <>
          Direct REST source: this page reads a local Crisp emulator with its throwaway key (
          <code>dangerouslyAllowBrowser</code>). Never ship a real Crisp key to a browser: use the
          relay.{' '}
        </>
      ) : null}
      {links}
    </p>
  );
}
