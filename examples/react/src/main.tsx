import { createExampleStore, loadConfig, sourceMode } from '@crisp-unread/example-kit/page';
import { UnreadProvider } from '@crisp-unread/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ChatButton } from './ChatButton';
import { ChatboxControls } from './ChatboxControls';
import { EmulatorControls } from './EmulatorControls';
import { SourceNote } from './SourceNote';
import '@crisp-unread/example-kit/styles.css';

const mode = sourceMode({ chatbox: true });

async function main() {
  const config = await loadConfig(mode);
  const store = createExampleStore(mode, config);
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
