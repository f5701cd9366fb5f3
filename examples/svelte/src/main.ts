import { createExampleStore, loadConfig, sourceMode } from '@crisp-unread/example-kit/page';
import { mount } from 'svelte';
import App from './App.svelte';
import { unreadStoreKey } from './unread';
import '@crisp-unread/example-kit/styles.css';

const mode = sourceMode();

async function main() {
  const config = await loadConfig(mode);
  const store = createExampleStore(mode, config);
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
