// The examples' page side (browser-safe: no Node module): which source the URL asks for, the
// config the example server answers at `/config.json`, and the store each example gives its view.
import { createUnreadStore, crispChatbox, crispRelay, crispRest } from '@crisp-unread/core';

/** @typedef {import('./page.d.ts').SourceModeWithChatbox} SourceModeWithChatbox */

/**
 * `?source=rest` is the direct REST mode, `?source=chatbox` the chatbox mode where the page offers
 * it; anything else is the relay (the default).
 * @param {{ chatbox?: boolean }} [options]
 * @returns {SourceModeWithChatbox}
 */
export function sourceMode(options = {}) {
  const source = new URLSearchParams(window.location.search).get('source');
  if (source === 'rest') return 'rest';
  return source === 'chatbox' && options.chatbox ? 'chatbox' : 'relay';
}

/**
 * Reads what the example server answers at `/config.json`: no key, except in the REST mode, where
 * `?source=rest` adds the emulator's throwaway one.
 * @param {SourceModeWithChatbox} mode
 * @returns {Promise<import('./index.d.ts').ExampleConfig | import('./index.d.ts').ExampleRestConfig>}
 */
export async function loadConfig(mode) {
  const response = await fetch(mode === 'rest' ? '/config.json?source=rest' : '/config.json');
  if (!response.ok) throw new Error(`GET /config.json answered ${response.status}`);
  return await response.json();
}

/**
 * The example's one unread store for `mode`.
 * @param {SourceModeWithChatbox} mode
 * @param {import('./index.d.ts').ExampleConfig | import('./index.d.ts').ExampleRestConfig} config
 * @returns {import('@crisp-unread/core').UnreadStore}
 */
export function createExampleStore(mode, config) {
  if (mode === 'chatbox') {
    // Crisp's snippet would load its chatbox script here; the example loads a faithful fake.
    const script = document.createElement('script');
    script.src = '/fake-crisp.js';
    document.head.append(script);
    return createUnreadStore({ source: crispChatbox() });
  }
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
