import { createUnreadStore, crispRelay, crispRest, type UnreadStore } from '@crisp-unread/core';
import { mount } from 'svelte';
import App from './App.svelte';
import { type ExampleConfig, type ExampleRestConfig, loadConfig, sourceMode } from './config';
import { unreadStoreKey } from './unread';
import '@crisp-unread/example-kit/styles.css';

const mode = sourceMode();

function createStore(config: ExampleConfig | ExampleRestConfig): UnreadStore {
  if (mode === 'rest' && 'key' in config) {
    // The explicit direct mode: the emulator's throwaway key in the page. Never a real key.
    return createUnreadStore({
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
  mount(App, {
    target: document.getElementById('app')!,
    props: { config, mode, onopen: markAsRead },
    context: new Map([[unreadStoreKey, store]]),
  });
}

main().catch((error: unknown) => {
  document.body.textContent = `The example could not start: ${String(error)}`;
});
