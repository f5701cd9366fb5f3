// https://nuxt.com/docs/api/nuxt-config
export default defineNuxtConfig({
  compatibilityDate: '2026-11-01',
  devtools: { enabled: false },
  telemetry: false,
  css: ['@crisp-unread/example-kit/styles.css'],
  app: {
    head: {
      title: 'crisp-unread · Nuxt',
      link: [{ rel: 'icon', type: 'image/svg+xml', href: '/icon.svg' }],
    },
  },
  typescript: {
    tsConfig: { compilerOptions: { exactOptionalPropertyTypes: true } },
    sharedTsConfig: { compilerOptions: { exactOptionalPropertyTypes: true } },
    nodeTsConfig: { compilerOptions: { exactOptionalPropertyTypes: true } },
  },
  nitro: {
    typescript: { tsConfig: { compilerOptions: { exactOptionalPropertyTypes: true } } },
  },
});
