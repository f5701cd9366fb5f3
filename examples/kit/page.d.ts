import type { UnreadStore } from '@crisp-unread/core';
import type { ExampleConfig, ExampleRestConfig } from './index.d.ts';

export type { ExampleConfig, ExampleRestConfig };

/** Which source the page uses: the relay (the default) or the direct REST source (`?source=rest`). */
export type SourceMode = 'relay' | 'rest';
/** The same, plus the chatbox source (`?source=chatbox`) for a page that offers it. */
export type SourceModeWithChatbox = SourceMode | 'chatbox';

/** The source `?source=` asks for; `chatbox` only where the page offers it (`{ chatbox: true }`). */
export function sourceMode(): SourceMode;
export function sourceMode(options: { chatbox: true }): SourceModeWithChatbox;
/** What `GET /config.json` answers (`?source=rest` in the REST mode, which adds the throwaway key). */
export function loadConfig(mode: SourceModeWithChatbox): Promise<ExampleConfig | ExampleRestConfig>;
/**
 * The example's store: `crispRelay({ url: config.relayUrl, stream: true })` on the relay;
 * `crispRest({ …, dangerouslyAllowBrowser: true })` with the emulator's throwaway key in the REST
 * mode; `crispChatbox()` beside a fake of Crisp's chatbox script in the chatbox mode.
 */
export function createExampleStore(
  mode: SourceModeWithChatbox,
  config: ExampleConfig | ExampleRestConfig,
): UnreadStore;
