import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadFixture } from '../loadFixture.js';

describe('loadFixture', () => {
  it('parses a JSON fixture', () => {
    const conversation = loadFixture<{ data: { unread: { visitor: number } } }>(
      'conversation.json',
    );
    expect(conversation.data.unread.visitor).toBe(2);
  });

  it('returns an HTML fixture as text', () => {
    expect(loadFixture('error-502.html')).toMatch(/^<html>.*502 Bad Gateway/);
  });

  it('loads every fixture shipped in fixtures/crisp', () => {
    const names = readdirSync(new URL('../../fixtures/crisp/', import.meta.url)).filter(
      (name) => name !== 'README.md',
    );
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) expect(() => loadFixture(name as never)).not.toThrow();
  });

  it('refuses a name that could leave the fixtures folder', () => {
    expect(() => loadFixture('../package.json' as never)).toThrow(/file name in fixtures\/crisp/);
  });
});
