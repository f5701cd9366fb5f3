import { createUnreadStore, crispRest } from '@crisp-unread/core';
import { UnreadProvider } from '@crisp-unread/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ChatButton } from './ChatButton';
import { loadConfig } from './config';
import { EmulatorControls } from './EmulatorControls';
import './styles.css';

async function main() {
  const config = await loadConfig();
  const store = createUnreadStore({
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
  const markAsRead = () => void store.markAsRead().catch(() => {});

  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <UnreadProvider store={store}>
        <main>
          <h1>crisp-unread + React</h1>
          <ChatButton onOpen={markAsRead} />
          <p className="note" data-testid="key-note">
            This demo reads counts straight from a local Crisp emulator with its throwaway key (
            <code>dangerouslyAllowBrowser</code>). That is only until the relay exists: then the
            page asks the relay and holds no key. Never ship a real Crisp key to a browser.
          </p>
          {config.emulatorUrl && config.sessionId ? (
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
