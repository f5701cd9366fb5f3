import { createUnreadStore, crispChatbox, crispRest, type UnreadStore } from '@crisp-unread/core';
import { UnreadProvider } from '@crisp-unread/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ChatButton } from './ChatButton';
import { ChatboxControls } from './ChatboxControls';
import { type ExampleConfig, loadConfig } from './config';
import { EmulatorControls } from './EmulatorControls';
import './styles.css';

/** `?source=chatbox`: the count comes from the Crisp chatbox on the page — no key, no request. */
const useChatbox = new URLSearchParams(window.location.search).get('source') === 'chatbox';

function createStore(config: ExampleConfig): UnreadStore {
  if (useChatbox) {
    // Crisp's snippet would load its chatbox script here; the example loads a faithful fake.
    const script = document.createElement('script');
    script.src = '/fake-crisp.js';
    document.head.append(script);
    return createUnreadStore({ source: crispChatbox() });
  }
  return createUnreadStore({
    // Until the relay exists, the page holds the emulator's throwaway key: never a real one.
    source: crispRest({
      websiteId: config.websiteId,
      identifier: config.identifier,
      key: config.key,
      baseUrl: config.apiUrl,
      dangerouslyAllowBrowser: true,
    }),
    sessionId: config.sessionId,
    pollIntervalMs: config.pollIntervalMs,
  });
}

async function main() {
  const config = await loadConfig();
  const store = createStore(config);
  const markAsRead = () => void store.markAsRead().catch(() => {});

  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <UnreadProvider store={store}>
        <main>
          <h1>crisp-unread + React</h1>
          <ChatButton onOpen={markAsRead} />
          {useChatbox ? (
            <p className="note" data-testid="source-note">
              Chatbox source: the count comes from the Crisp chatbox on this page (here a fake one),
              with no key and no request. <a href="/">Switch to the REST source</a>.
            </p>
          ) : null}
          <p className="note" data-testid="key-note" hidden={useChatbox}>
            This demo reads counts straight from a local Crisp emulator with its throwaway key (
            <code>dangerouslyAllowBrowser</code>). That is only until the relay exists: then the
            page asks the relay and holds no key. Never ship a real Crisp key to a browser.
          </p>
          {useChatbox ? <ChatboxControls /> : null}
          {!useChatbox && config.emulatorUrl && config.sessionId ? (
            <EmulatorControls
              emulatorUrl={config.emulatorUrl}
              websiteId={config.websiteId}
              sessionId={config.sessionId}
            />
          ) : null}
        </main>
      </UnreadProvider>
    </StrictMode>,
  );
}

main().catch((error: unknown) => {
  document.body.textContent = `The example could not start: ${String(error)}`;
});
