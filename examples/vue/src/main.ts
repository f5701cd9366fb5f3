import { createExampleStore, loadConfig, sourceMode } from '@crisp-unread/example-kit/page';
import { createUnreadPlugin } from '@crisp-unread/vue';
import { createApp } from 'vue';
import App from './App.vue';
import '@crisp-unread/example-kit/styles.css';

const mode = sourceMode();

async function main() {
  const config = await loadConfig(mode);
  const store = createExampleStore(mode, config);
  const markAsRead = () => void store.markAsRead().catch(() => {});

  createApp(App, { config, mode, onOpen: markAsRead }).use(createUnreadPlugin(store)).mount('#app');
}

main().catch((error: unknown) => {
  document.body.textContent = `The example could not start: ${String(error)}`;
});
