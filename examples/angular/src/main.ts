import { provideZonelessChangeDetection } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { createExampleStore, loadConfig, sourceMode } from '@crisp-unread/example-kit/page';
import { App } from './app/app';
import { EXAMPLE_CONFIG, SOURCE_MODE, UNREAD_STORE } from './unread';

const mode = sourceMode();

async function main() {
  const config = await loadConfig(mode);
  await bootstrapApplication(App, {
    providers: [
      // No zone.js: the store's observables reach the view through AsyncPipe and signals.
      provideZonelessChangeDetection(),
      { provide: UNREAD_STORE, useValue: createExampleStore(mode, config) },
      { provide: EXAMPLE_CONFIG, useValue: config },
      { provide: SOURCE_MODE, useValue: mode },
    ],
  });
}

main().catch((error: unknown) => {
  document.body.textContent = `The example could not start: ${String(error)}`;
});
