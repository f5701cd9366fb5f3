import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The files in `fixtures/crisp/`. */
export type FixtureName =
  | 'conversation.json'
  | 'conversation-no-unread-field.json'
  | 'error-invalid-session.json'
  | 'error-not-found.json'
  | 'error-unauthorized.json'
  | 'error-rate-limited.json'
  | 'error-502.html'
  | 'webhook-message-received.json';

const fixtureNamePattern = /^[a-z0-9][a-z0-9-]*\.(json|html)$/;

// The module is src/loadFixture.ts under vitest and dist/index.{js,cjs} once built: both sit one
// level below the package root. tsup's `shims` provides import.meta.url in the CJS build.
function fixturesDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'crisp');
}

/** Reads a fixture from `fixtures/crisp/`: parsed JSON, or the text of an `.html` file. */
export function loadFixture(name: `${string}.html`): string;
export function loadFixture<T = unknown>(name: FixtureName): T;
export function loadFixture(name: string): unknown {
  if (!fixtureNamePattern.test(name)) {
    throw new TypeError(
      `loadFixture: name must be a file name in fixtures/crisp such as 'conversation.json', got ${JSON.stringify(name)}`,
    );
  }
  const text = readFileSync(join(fixturesDir(), name), 'utf8');
  return name.endsWith('.html') ? text : JSON.parse(text);
}
