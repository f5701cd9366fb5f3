import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fileBlocks } from '@crisp-unread/example-kit/readme';
import { describe, expect, it } from 'vitest';

const readme = fileURLToPath(new URL('../../../README.md', import.meta.url));
const example = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe("the root README's Angular section", () => {
  it('shows the Angular example’s badge as it is, which the Angular compiler checks', () => {
    const blocks = fileBlocks(readme).filter((block) => block.path.startsWith('src/app/'));
    expect(blocks.map((block) => block.path)).toEqual(['src/app/chat-button.ts']);
    expect(blocks[0]!.code).toBe(example('src/app/chat-button.ts'));
  });
});
