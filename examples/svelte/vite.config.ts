import { crispEmulatorPlugin } from '@crisp-unread/example-kit';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

// `pnpm dev` and `pnpm preview` start a Crisp emulator beside the app and serve /config.json.
export default defineConfig({
  plugins: [svelte(), crispEmulatorPlugin()],
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
