import { describe, expect, it } from 'vitest';
import { isUnreadError, misconfigured } from '../index';

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

describe('misconfigured', () => {
  it('throws the branded misconfigured UnreadError, prefixed with its scope', () => {
    const plain = thrown(() => misconfigured('`ttlMs` must be a positive number.'));
    expect(isUnreadError(plain)).toBe(true);
    expect(plain).toMatchObject({
      code: 'misconfigured',
      message: 'crisp-unread: `ttlMs` must be a positive number.',
    });
    const scoped = thrown(() => misconfigured('`key` is required.', 'crisp-unread relay'));
    expect(scoped).toMatchObject({
      code: 'misconfigured',
      message: 'crisp-unread relay: `key` is required.',
    });
  });
});
