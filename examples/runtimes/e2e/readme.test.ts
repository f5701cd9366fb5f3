import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fileBlocks } from '@crisp-unread/example-kit/readme';
import { describe, expect, it } from 'vitest';

const readmePath = fileURLToPath(new URL('../../../packages/relay/README.md', import.meta.url));
const file = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** The relay README's runtime sections show the very files this package's e2e runs. */
describe("@crisp-unread/relay's README", () => {
  const blocks = new Map(fileBlocks(readmePath).map((block) => [block.path, block.code]));

  it.each([
    ['src/bun.ts', 'runtimes/src/bun.ts'],
    ['src/deno.ts', 'runtimes/src/deno.ts'],
    ['src/worker.ts', 'runtimes/src/worker.ts'],
    ['src/index.ts', 'workers/src/index.ts'],
  ])('shows %s as examples/%s is', (path, example) => {
    expect(blocks.get(path)).toBe(file(example));
  });

  it('shows examples/workers/wrangler.json as it is', () => {
    expect(readFileSync(readmePath, 'utf8')).toContain(
      `\`\`\`jsonc\n// wrangler.json\n${file('workers/wrangler.json')}\`\`\``,
    );
  });
});
