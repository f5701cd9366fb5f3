import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fileBlocks } from '@crisp-unread/example-kit/readme';
import { describe, expect, it } from 'vitest';

const readme = fileURLToPath(new URL('../../../README.md', import.meta.url));
const example = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe("the root README's Svelte section", () => {
  it('shows the Svelte example’s badge as it is, which svelte-check checks', () => {
    const blocks = fileBlocks(readme).filter((block) => block.path.endsWith('.svelte'));
    expect(blocks.map((block) => block.path)).toEqual(['src/ChatButton.svelte']);
    expect(blocks[0]!.code).toBe(example('src/ChatButton.svelte'));
  });
});
