import type { Browser, Locator, Page } from 'playwright-core';
import type { ExampleServer } from './index.d.ts';

export interface ExamplePageOptions {
  /** The built example (Vite's `dist/`, Angular's `dist/browser/`). */
  distDir: string;
  /** The poll interval the page is told to use. */
  pollIntervalMs: number;
  /** What to open once everything runs, e.g. `/?source=rest`; `null` opens nothing. Defaults to `/`. */
  path?: string | null;
}

/** A built example in Chromium beside its server; the fields are set once `beforeAll` has run. */
export interface ExamplePage {
  server: ExampleServer;
  browser: Browser;
  page: Page;
  /** The page's console errors, uncaught errors and requests off 127.0.0.1 (`watchPageProblems`). */
  problems: string[];
  /** The messages of the page's uncaught errors. */
  pageErrors: string[];
  badge(): Locator;
  status(): Locator;
  /** Polls `read` for up to 10 s until it gives `expected`. */
  waitForText(read: () => Promise<string | null>, expected: string): Promise<void>;
}

export function openExamplePage(options: ExamplePageOptions): ExamplePage;

export interface RelayBadgeOptions {
  distDir: string;
  /** Where the screenshot of the badge at 2 goes. */
  screenshot: string;
  /** How the example's view reads the status, for the test's name, e.g. `$store`. */
  statusThrough: string;
  /** How it reads the count, for the test's name, e.g. `unreadCount$ | async`. */
  badgeThrough: string;
  /** The example's own checks once the page is ready on the relay. */
  whenReady?(page: Page): Promise<void>;
}

export function describeRelayBadge(title: string, options: RelayBadgeOptions): void;
