import { describe, expect, it } from 'vitest';
import { scripts } from '../redis/scripts';
import { scripts as fromDisk } from '../redis/scriptsFromDisk';

describe('the Redis store’s Lua scripts', () => {
  it('are the same text imported by a bundler (tsup, vitest) and read from disk (tsx)', () => {
    expect(Object.keys(scripts).sort()).toEqual([
      'deriveCount',
      'keepLater',
      'releaseLease',
      'takeBudget',
    ]);
    expect(fromDisk).toEqual(scripts);
    for (const text of Object.values(scripts)) expect(text).toContain("redis.call('");
  });
});
