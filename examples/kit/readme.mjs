// The code blocks of a README that show an example's files: a block whose first line names the file
// by a path with a directory (`// app/page.tsx`, `<!-- app/app.vue -->`, `<!-- src/App.svelte -->`)
// and whose rest is meant to be that file. A bare name (`// main.ts`) is a sketch, not a file.
import { readFileSync } from 'node:fs';

/**
 * @param {string} readmePath
 * @returns {{ path: string; code: string }[]}
 */
export function fileBlocks(readmePath) {
  const readme = readFileSync(readmePath, 'utf8');
  const blocks = [];
  for (const [, body] of readme.matchAll(/^```[a-z]*\n([\s\S]*?)^```$/gm)) {
    const [first, ...rest] = body.split('\n');
    const path =
      /^(?:\/\/|<!--)\s*([\w.[\]-]+(?:\/[\w.[\]-]+)+\.(?:ts|tsx|vue|svelte))\s*(?:-->)?$/.exec(
        first ?? '',
      )?.[1];
    if (path) blocks.push({ path, code: rest.join('\n') });
  }
  return blocks;
}
