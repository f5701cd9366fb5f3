import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CrispEmulator, EmulatedWebsite } from '@crisp-unread/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEmulator } from './emulator';

// The README's Node snippet, run as a user runs it: a script in a child process, importing the
// built package by its name, against the Crisp emulator. A Node script that is done must end.
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '../..');
const readme = readFileSync(join(packageDir, '../../README.md'), 'utf8');

/** The first ```ts block after `heading` in the root README. */
function snippetAfter(heading: string): string {
  const at = readme.indexOf(heading);
  expect(at, `the README has "${heading}"`).toBeGreaterThan(-1);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  return block![1]!;
}

const nodeSnippet = snippetAfter('A live count on a server (Node), straight from the REST API:');

let emulator: CrispEmulator;
let website: EmulatedWebsite;
useEmulator((started) => {
  ({ emulator, website } = started);
});

// Inside the package, so that `@crisp-unread/core` resolves to it (a package may import itself).
let scripts: string;
beforeAll(() => {
  scripts = mkdtempSync(join(packageDir, '.snippets-'));
});
afterAll(() => {
  rmSync(scripts, { recursive: true, force: true });
});

/**
 * Runs `code` as an ES module with the snippet's free names defined (the emulator's credentials,
 * a session with 3 unread) and Crisp's URL pointed at the emulator. Resolves with its output and
 * whether it exited by itself within `limitMs` of running its last line (Node's own start, slow
 * on a busy machine, is not the script's to answer for).
 */
function runScript(code: string, limitMs: number) {
  const sessionId = emulator.createSession(website.websiteId, { unread: 3 });
  const options = emulator.restOptions(website);
  const prelude = `
const { websiteId, identifier, key, sessionId } = ${JSON.stringify({ ...options, sessionId })};
const realFetch = globalThis.fetch;
globalThis.fetch = (url, init) =>
  realFetch(String(url).replace('https://api.crisp.chat', ${JSON.stringify(options.baseUrl)}), init);
`;
  const ran = '<the last line ran>';
  const file = join(scripts, `snippet-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(
    file,
    `${prelude}\n${code}\nprocess.stderr.write(${JSON.stringify(`${ran}\n`)});\n`,
  );
  return new Promise<{ exited: boolean; code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const kill = () => child.kill('SIGKILL');
    // A script that never gets to its end is killed too, later.
    let timer = setTimeout(kill, 30_000);
    const hear = (chunk: Buffer) => {
      const before = output;
      output += chunk;
      if (!before.includes(ran) && output.includes(ran)) {
        clearTimeout(timer);
        timer = setTimeout(kill, limitMs);
      }
    };
    child.stdout.on('data', hear);
    child.stderr.on('data', hear);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ exited: signal === null, code, output: output.replace(ran, '') });
    });
  });
}

/** The snippet with its work done before its ending lines: it waits for the first count. */
const afterFirstCount = nodeSnippet.replace(
  'subscription.unsubscribe();',
  `await new Promise((done) => store.unreadCount$.subscribe((count) => count !== null && done()));
subscription.unsubscribe();`,
);

describe("the README's Node snippet", () => {
  it('ends by itself within 2 s of its last line', async () => {
    const run = await runScript(nodeSnippet, 2000);
    expect(run.output).not.toMatch(/Error/);
    expect(run).toMatchObject({ exited: true, code: 0 });
  });

  it('ends within 2 s of its last line after reading a count', async () => {
    expect(afterFirstCount).not.toBe(nodeSnippet);
    const run = await runScript(afterFirstCount, 2000);
    expect(run).toMatchObject({ exited: true, code: 0 });
    expect(run.output.trim().split('\n')).toContain('3');
  });

  it('would keep Node alive without its dispose() (query-core collects the count after gcTimeMs)', async () => {
    expect(afterFirstCount).toContain('store.dispose();');
    const run = await runScript(afterFirstCount.replace('store.dispose();', ''), 2000);
    expect(run.exited).toBe(false);
    expect(run.output.trim().split('\n')).toContain('3');
  });
});
