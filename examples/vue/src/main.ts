import { createUnreadStore, crispRest } from '@crisp-unread/core';
import { createUnreadPlugin } from '@crisp-unread/vue';
import { createApp } from 'vue';
import App from './App.vue';
import { loadConfig } from './config';
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

  createApp(App, { config, onOpen: markAsRead }).use(createUnreadPlugin(store)).mount('#app');
}

main().catch((error: unknown) => {
  document.body.textContent = `The example could not start: ${String(error)}`;
});
