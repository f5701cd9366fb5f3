import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readErrorReason, readVisitorCount } from '../schema';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../testing/fixtures/crisp/${name}`, import.meta.url), 'utf8');
const json = (name: string): unknown => JSON.parse(fixture(name));

describe('readVisitorCount', () => {
  it('reads data.unread.visitor from a conversation', () => {
    expect(readVisitorCount(json('conversation.json'))).toBe(2);
  });

  it('reads 0 when the conversation has no unread object, as the Flutter plugin does', () => {
    expect(readVisitorCount(json('conversation-no-unread-field.json'))).toBe(0);
    expect(readVisitorCount({ error: false, reason: 'resolved', data: { unread: {} } })).toBe(0);
  });

  it('rejects error envelopes', () => {
    for (const name of [
      'error-invalid-session.json',
      'error-not-found.json',
      'error-unauthorized.json',
      'error-rate-limited.json',
    ]) {
      expect(readVisitorCount(json(name))).toBeUndefined();
    }
  });

  it('rejects counts that are not non-negative integers', () => {
    for (const visitor of [-1, 1.5, '2', Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60, true, {}]) {
      expect(readVisitorCount({ error: false, data: { unread: { visitor } } })).toBeUndefined();
    }
  });

  it('rejects bodies that are not conversations', () => {
    for (const body of [
      null,
      undefined,
      'x',
      42,
      [],
      {},
      { error: false },
      { data: { unread: { visitor: 1 } } },
    ]) {
      expect(readVisitorCount(body)).toBeUndefined();
    }
  });
});

describe('readErrorReason', () => {
  it('reads the reason of an error envelope', () => {
    expect(readErrorReason(json('error-not-found.json'))).toBe('not_found');
    expect(readErrorReason(json('error-unauthorized.json'))).toBe('invalid_authentication');
  });

  it('answers undefined for anything else', () => {
    expect(readErrorReason(json('conversation.json'))).toBeUndefined();
    expect(readErrorReason('<html>')).toBeUndefined();
  });
});
