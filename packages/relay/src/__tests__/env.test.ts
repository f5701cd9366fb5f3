import { describe, expect, it } from 'vitest';
import { relayOptionsFromEnv } from '../node';

describe('relayOptionsFromEnv', () => {
  it('reads the economy options, and leaves them to their defaults when unset', () => {
    expect(
      relayOptionsFromEnv({ RELAY_SAFETY_REFRESH_MS: '600000', RELAY_FAILURE_MEMORY_MS: '5000' }),
    ).toMatchObject({ safetyRefreshMs: 600_000, failureMemoryMs: 5000 });
    const unset = relayOptionsFromEnv({});
    expect(unset.safetyRefreshMs).toBeUndefined();
    expect(unset.failureMemoryMs).toBeUndefined();
    expect(() => relayOptionsFromEnv({ RELAY_FAILURE_MEMORY_MS: 'soon' })).toThrow(
      '`RELAY_FAILURE_MEMORY_MS` must be a number.',
    );
  });
});
