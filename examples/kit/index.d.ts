import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { CrispEmulator, EmulatedWebsite } from '@crisp-unread/testing';
import type { Browser } from 'playwright-core';

/** What `GET /config.json` answers: everything a page needs to count one session's unread messages. */
export interface ExampleConfig {
  /** Where the page reads counts: the emulator's Crisp REST API for now (the relay, later). */
  apiUrl: string;
  /** The emulator's base URL, whose `/_emulator/` control API the page's demo buttons call. */
  emulatorUrl: string;
  websiteId: string;
  identifier: string;
  /** The emulator's throwaway token key. */
  key: string;
  sessionId: string;
  pollIntervalMs: number;
}

export interface ExampleEmulator {
  emulator: CrispEmulator;
  website: EmulatedWebsite;
  sessionId: string;
  config: ExampleConfig;
}

export interface ExampleServerOptions {
  /** The built example (Vite's `dist/`). */
  distDir: string;
  /** Defaults to `0`: a free port. */
  port?: number;
  /** The poll interval the page is told to use. Defaults to `1000`. */
  pollIntervalMs?: number;
}

export interface ExampleServer extends ExampleEmulator {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** Stops the static server and the emulator. Idempotent. */
  close(): Promise<void>;
}

/** The part of Vite's dev or preview server the plugin uses. */
export interface ViteServerLike {
  middlewares: {
    use(handler: (req: IncomingMessage, res: ServerResponse, next: () => void) => void): unknown;
  };
  httpServer: Server | null | { once(event: 'close', listener: () => void): unknown };
  config: { logger: { info(message: string): void } };
}

export interface CrispEmulatorPlugin {
  name: string;
  configureServer(server: ViteServerLike): Promise<void>;
  configurePreviewServer(server: ViteServerLike): Promise<void>;
}

export function startExampleEmulator(options?: {
  pollIntervalMs?: number;
}): Promise<ExampleEmulator>;
export function startExampleServer(options: ExampleServerOptions): Promise<ExampleServer>;
export function crispEmulatorPlugin(options?: { pollIntervalMs?: number }): CrispEmulatorPlugin;
export function launchChromium(): Promise<Browser>;
