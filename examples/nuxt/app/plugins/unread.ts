import { createUnreadStore, crispRelay, normalizeSessionId } from '@crisp-unread/core';
import { createUnreadPlugin } from '@crisp-unread/vue';

/**
 * One store per app instance: Nuxt creates the app per request on the server (where nothing
 * subscribes, so the store stays idle) and once in the browser. Which Crisp session is the
 * visitor's is the app's to know; here it comes from `?session=session_<uuid>`.
 */
export default defineNuxtPlugin((nuxtApp) => {
  const session = useRequestURL().searchParams.get('session');
  const store = createUnreadStore({
    source: crispRelay({ url: '/api/crisp-unread', stream: true }),
    sessionId: session === null ? null : normalizeSessionId(session),
  });
  nuxtApp.vueApp.use(createUnreadPlugin(store));
});
