import { provideZonelessChangeDetection } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { createUnreadStore, crispRelay, crispRest, type UnreadStore } from '@crisp-unread/core';
import { App } from './app/app';
import { type ExampleConfig, type ExampleRestConfig, loadConfig, sourceMode } from './config';
import { EXAMPLE_CONFIG, SOURCE_MODE, UNREAD_STORE } from './unread';

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
  await bootstrapApplication(App, {
    providers: [
      // No zone.js: the store's observables reach the view through AsyncPipe and signals.
      provideZonelessChangeDetection(),
      { provide: UNREAD_STORE, useValue: createStore(config) },
      { provide: EXAMPLE_CONFIG, useValue: config },
      { provide: SOURCE_MODE, useValue: mode },
    ],
  });
}

main().catch((error: unknown) => {
  document.body.textContent = `The example could not start: ${String(error)}`;
});
