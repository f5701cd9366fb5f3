import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('..', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx/cli');

describe('pnpm demo', () => {
  it('walks the scripted scenario on the emulator and exits 0', () => {
    const env = { ...process.env };
    for (const name of ['CRISP_WEBSITE_ID', 'CRISP_IDENTIFIER', 'CRISP_KEY', 'CRISP_SESSION_ID'])
      delete env[name];
    const result = spawnSync(process.execPath, [tsx, 'src/demo.ts'], {
      cwd,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    const output = result.stdout;
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);

    const transitions = output
      .split('\n')
      .filter((line) => /^\s+\+\d+\.\d+s/.test(line))
      .map((line) =>
        line.replace(/^\s+\+\d+\.\d+s\s+/, '').replace(/\s+\(upstream requests: \d+\)$/, ''),
      )
      .map((line) => line.replace(/\s+/g, ' ').trim());
    const expected = [
      'no-session count: –',
      'loading count: –',
      'ready count: 0',
      'ready count: 1',
      'ready count: 2',
      'ready count: 0',
      // The last good count stays on show during an error, marked stale.
      'error count: 0 rate-limited 429 (stale)',
    ];
    let at = 0;
    for (const line of transitions) if (line === expected[at]) at += 1;
    expect(at, `transitions seen:\n${transitions.join('\n')}`).toBe(expected.length);
    expect(transitions).toContain('ready count: 1');

    const made = Number(/upstream requests made:\s+(\d+)/.exec(output)?.[1]);
    expect(made).toBeGreaterThanOrEqual(8);
    expect(made).toBeLessThan(30);
    expect(output).not.toMatch(/[0-9a-f]{64}/);

    // Part 2: ten pages behind the relay; Crisp is read once per page, then once per event whose
    // effect the hook does not tell (the read receipt), none for the operators' messages.
    expect(output).toContain("10 visitors' pages show their count");
    expect(output).toContain('visitors 1-3 show 1, the others 0  (Crisp requests: 10)');
    expect(output).toContain('visitor 1 shows 0 again  (Crisp requests: 11)');
    const relayCalls = Number(/Crisp requests made by the relay:\s+(\d+)/.exec(output)?.[1]);
    expect(relayCalls).toBe(11);
  });
});
