// @vitest-environment node
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// turbo runs this package's build before its tests (turbo.json), so dist/ is the shipped build.
const built = (file: string) =>
  readFileSync(new URL(`../../dist/${file}`, import.meta.url), 'utf8');

describe('the build', () => {
  it("keeps 'use client' at the top of both entries, for React Server Components", () => {
    for (const file of ['index.js', 'index.cjs']) {
      expect(built(file).trimStart().startsWith("'use client';")).toBe(true);
    }
  });
});
