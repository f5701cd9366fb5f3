import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fileBlocks } from '@crisp-unread/example-kit/readme';
import { describe, expect, it } from 'vitest';

const readme = fileURLToPath(new URL('../../../packages/react/README.md', import.meta.url));
const example = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe("@crisp-unread/react's README", () => {
  const blocks = fileBlocks(readme);

  it('shows the Next.js example’s relay route, badge, page and chatbox badge', () => {
    expect(blocks.map((block) => block.path)).toEqual([
      'app/api/crisp-unread/[...path]/route.ts',
      'app/UnreadBadge.tsx',
      'app/page.tsx',
      'app/chatbox/ChatboxBadge.tsx',
    ]);
  });

  it.each(blocks.map((block) => [block.path, block.code]))('shows %s as it is', (path, code) => {
    expect(code).toBe(example(path));
  });
});
