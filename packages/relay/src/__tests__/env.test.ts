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

  it('reads retention, the first read wait and the two hook rules; refuses what is not a boolean', () => {
    expect(
      relayOptionsFromEnv({
        RELAY_RETAIN_MS: '86400000',
        RELAY_FIRST_READ_WAIT_MS: '1500',
        RELAY_DERIVE_FROM_HOOKS: 'false',
        RELAY_ASSUME_UNSEEN_SESSIONS: '0',
      }),
    ).toMatchObject({
      retainMs: 86_400_000,
      firstReadWaitMs: 1500,
      deriveFromHooks: false,
      assumeUnseenSessions: false,
    });
    expect(relayOptionsFromEnv({ RELAY_ASSUME_UNSEEN_SESSIONS: 'TRUE' }).assumeUnseenSessions).toBe(
      true,
    );
    const unset = relayOptionsFromEnv({});
    expect(unset.deriveFromHooks).toBeUndefined();
    expect(unset.assumeUnseenSessions).toBeUndefined();
    expect(() => relayOptionsFromEnv({ RELAY_DERIVE_FROM_HOOKS: 'yes' })).toThrow(
      '`RELAY_DERIVE_FROM_HOOKS` must be true or false.',
    );
  });
});
