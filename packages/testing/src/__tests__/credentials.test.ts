import { describe, expect, it } from 'vitest';
import { basicAuth, parseBasicAuth, safeEqual } from '../credentials.js';

describe('parseBasicAuth', () => {
  it('reads the identifier and the key, which may contain colons', () => {
    expect(parseBasicAuth(basicAuth('id', 'k:e:y'))).toEqual({ identifier: 'id', key: 'k:e:y' });
  });

  it('returns null for a missing, non-Basic or identifier-less header', () => {
    expect(parseBasicAuth(undefined)).toBeNull();
    expect(parseBasicAuth('Bearer abc')).toBeNull();
    expect(parseBasicAuth(`Basic ${Buffer.from(':key').toString('base64')}`)).toBeNull();
    expect(parseBasicAuth(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBeNull();
  });
});

describe('safeEqual', () => {
  it('compares strings of any lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });
});
