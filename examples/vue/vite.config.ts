import { crispEmulatorPlugin } from '@crisp-unread/example-kit';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// `pnpm dev` and `pnpm preview` start a Crisp emulator beside the app and serve /config.json.
export default defineConfig({
  plugins: [vue(), crispEmulatorPlugin()],
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
