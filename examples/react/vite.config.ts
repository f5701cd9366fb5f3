import { crispEmulatorPlugin } from '@crisp-unread/example-kit';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `pnpm dev` and `pnpm preview` start a Crisp emulator beside the app and serve /config.json.
export default defineConfig({
  plugins: [react(), crispEmulatorPlugin()],
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
