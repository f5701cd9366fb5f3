import {
  createUnreadStore,
  crispChatbox,
  crispRelay,
  crispRest,
  type UnreadStore,
} from '@crisp-unread/core';
import { UnreadProvider } from '@crisp-unread/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ChatButton } from './ChatButton';
import { ChatboxControls } from './ChatboxControls';
import { type ExampleConfig, type ExampleRestConfig, loadConfig, sourceMode } from './config';
import { EmulatorControls } from './EmulatorControls';
import { SourceNote } from './SourceNote';
import '@crisp-unread/example-kit/styles.css';

const mode = sourceMode();

function createStore(config: ExampleConfig): UnreadStore {
  if (mode === 'chatbox') {
    // Crisp's snippet would load its chatbox script here; the example loads a faithful fake.
    const script = document.createElement('script');
    script.src = '/fake-crisp.js';
    document.head.append(script);
    return createUnreadStore({ source: crispChatbox() });
  }
  if (mode === 'rest') {
    // The explicit direct mode: the emulator's throwaway key in the page. Never a real key.
    const rest = config as ExampleRestConfig;
    return createUnreadStore({
      source: crispRest({
        websiteId: rest.websiteId,
        identifier: rest.identifier,
        key: rest.key,
        baseUrl: rest.apiUrl,
        dangerouslyAllowBrowser: true,
      }),
      sessionId: rest.sessionId,
      pollIntervalMs: rest.pollIntervalMs,
    });
  }
  // The relay holds the key; the page gets counts pushed over Server-Sent Events.
  return createUnreadStore({
    source: crispRelay({ url: config.relayUrl, stream: true }),
    sessionId: config.sessionId,
    pollIntervalMs: config.pollIntervalMs,
  });
}

async function main() {
  const config = await loadConfig(mode);
  const store = createStore(config);
  const markAsRead = () => void store.markAsRead().catch(() => {});

  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <UnreadProvider store={store}>
        <main>
          <h1>crisp-unread + React</h1>
          <ChatButton onOpen={markAsRead} />
          <SourceNote mode={mode} />
          {mode === 'chatbox' ? <ChatboxControls /> : null}
          {mode !== 'chatbox' && config.emulatorUrl && config.sessionId ? (
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
