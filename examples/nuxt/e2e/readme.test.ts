import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fileBlocks } from '@crisp-unread/example-kit/readme';
import { describe, expect, it } from 'vitest';

const readme = fileURLToPath(new URL('../../../packages/vue/README.md', import.meta.url));
const example = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe("@crisp-unread/vue's README", () => {
  const blocks = fileBlocks(readme);

  it('shows the Nuxt example’s relay route, plugin and badge', () => {
    expect(blocks.map((block) => block.path)).toEqual([
      'server/routes/api/crisp-unread/[...path].ts',
      'app/plugins/unread.ts',
      'app/components/ChatButton.vue',
    ]);
  });

  it.each(blocks.map((block) => [block.path, block.code]))('shows %s as it is', (path, code) => {
    expect(code).toBe(example(path));
  });
});
