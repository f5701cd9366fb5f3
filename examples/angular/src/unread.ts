import { InjectionToken } from '@angular/core';
import type { UnreadStore } from '@crisp-unread/core';
import type { ExampleConfig, SourceMode } from '@crisp-unread/example-kit/page';

/** The app's one unread store, provided in `main.ts` once `/config.json` has answered. */
export const UNREAD_STORE = new InjectionToken<UnreadStore>('crisp-unread store');
/** What `/config.json` answered. */
export const EXAMPLE_CONFIG = new InjectionToken<ExampleConfig>('example config');
/** Which source the page uses. */
export const SOURCE_MODE = new InjectionToken<SourceMode>('source mode');
