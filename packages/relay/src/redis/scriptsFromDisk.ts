import { readFileSync } from 'node:fs';

// The scripts for the TypeScript source run by Node itself (tsx, as the bin's tests run it),
// which has no text loader: read once, next to this module. Every bundle takes scripts.ts
// instead, through package.json's `imports` (`#redis-scripts`, condition `crisp-unread-bundle`).
const read = (name: string) => readFileSync(new URL(`./${name}.lua`, import.meta.url), 'utf8');

export const scripts = {
  deriveCount: read('deriveCount'),
  keepLater: read('keepLater'),
  releaseLease: read('releaseLease'),
  takeBudget: read('takeBudget'),
} as const;
