// The names the README snippets use without defining them: the reader's own values.
import type { UnreadSource } from '@crisp-unread/core';
import type { UnreadRelay } from '@crisp-unread/relay';
import type { App } from 'vue';

declare global {
  const websiteId: string;
  const identifier: string;
  const key: string;
  const sessionId: string;
  const source: UnreadSource;
  const mySource: UnreadSource;
  const relay: UnreadRelay;
  function render(count: number | null): void;
  function makeSource(): UnreadSource;
  function defineNuxtPlugin(plugin: (nuxtApp: { vueApp: App }) => void): unknown;
}
