import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { UnreadRelay } from '@crisp-unread/relay';
import type { CrispEmulator, EmulatedWebsite } from '@crisp-unread/testing';
import type { Browser, Page } from 'playwright-core';

/** What `GET /config.json` answers: what a page needs to count one session's unread messages. No key. */
export interface ExampleConfig {
  /** The relay: it holds the token, reads Crisp (here the emulator) and pushes counts. */
  relayUrl: string;
  /** The emulator's base URL, whose `/_emulator/` control API the page's demo buttons call. */
  emulatorUrl: string;
  websiteId: string;
  sessionId: string;
  pollIntervalMs: number;
}

/** `GET /config.json?source=rest`: the page's explicit direct-REST mode also gets the emulator's throwaway token. */
export interface ExampleRestConfig extends ExampleConfig {
  apiUrl: string;
  identifier: string;
  /** The emulator's throwaway token key: never a real one in a page. */
  key: string;
}

export interface ExampleEmulator {
  emulator: CrispEmulator;
  website: EmulatedWebsite;
  sessionId: string;
  config: ExampleConfig;
  restConfig: ExampleRestConfig;
  /** The relay in front of the emulator, and where it listens. */
  relay: UnreadRelay;
  relayUrl: string;
  /** Every request a page made to the relay's session routes. */
  relayRequests: { method: string; path: string; at: number }[];
  /** Stops the relay and the emulator. */
  close(): Promise<void>;
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
  /** Stops the static server, the relay and the emulator. Idempotent. */
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

export interface AppServerOptions {
  /** The command that runs the built app, e.g. `process.execPath`. */
  command: string;
  args?: readonly string[];
  /** The app's directory. */
  cwd: string;
  /** The app's relay web hook route, e.g. `/api/crisp-unread/webhooks/crisp`. */
  webhookPath: string;
  /** More environment for the app (over the `CRISP_*`, `PORT`, `HOST` the kit sets). Defaults to `{}`. */
  env?: Record<string, string>;
  /** How long the app may take to answer `GET /`. Defaults to `30000`. */
  startTimeoutMs?: number;
}

export interface AppServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  emulator: CrispEmulator;
  website: EmulatedWebsite;
  /** The emulator's session, also the session of the stand-in chatbox at `CRISP_CHATBOX_SCRIPT`. */
  sessionId: string;
  /** What the app printed (stdout and stderr). */
  output: string[];
  /** Stops the app, the chatbox script server and the emulator. Idempotent. */
  close(): Promise<void>;
}

export function startAppServer(options: AppServerOptions): Promise<AppServer>;
/** `startAppServer`, printing the page's address and curl commands that drive the emulator; Ctrl-C stops it. */
export function runAppDemo(options: AppServerOptions): Promise<AppServer>;
export function startExampleEmulator(options?: {
  pollIntervalMs?: number;
}): Promise<ExampleEmulator>;
export function startExampleServer(options: ExampleServerOptions): Promise<ExampleServer>;
export function crispEmulatorPlugin(options?: { pollIntervalMs?: number }): CrispEmulatorPlugin;
export function launchChromium(): Promise<Browser>;
/** Console errors, hydration warnings, uncaught errors and requests off 127.0.0.1 of `page`, as text. */
export function watchPageProblems(page: Page): string[];
