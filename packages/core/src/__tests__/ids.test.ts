import { describe, expect, it } from 'vitest';
import { describeValue, isSessionId, isWebsiteId, normalizeSessionId } from '../ids';

describe('isWebsiteId', () => {
  it('accepts UUIDs in either case', () => {
    expect(isWebsiteId('8c842203-7ed8-4e29-a608-7cf78a7d2fcc')).toBe(true);
    expect(isWebsiteId('8C842203-7ED8-4E29-A608-7CF78A7D2FCC')).toBe(true);
  });

  it('refuses anything that could change a URL path', () => {
    for (const value of [
      '',
      '8c842203-7ed8-4e29-a608-7cf78a7d2fc',
      '8c842203-7ed8-4e29-a608-7cf78a7d2fcc/',
      '../8c842203-7ed8-4e29-a608-7cf78a7d2fcc',
      '8c842203-7ed8-4e29-a608-7cf78a7d2fcc?x=1',
      ' 8c842203-7ed8-4e29-a608-7cf78a7d2fcc',
      '8c842203-7ed8-4e29-a608-7cf78a7d2fcc\n',
      'session_8c842203-7ed8-4e29-a608-7cf78a7d2fcc',
      null,
      42,
    ]) {
      expect(isWebsiteId(value)).toBe(false);
    }
  });
});

describe('isSessionId', () => {
  it('accepts session_ and a UUID', () => {
    expect(isSessionId('session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881')).toBe(true);
  });

  it('refuses everything else', () => {
    for (const value of [
      '700c65e1-85e2-465a-b9ac-ecb5ec2c9881',
      'session_',
      'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881/read',
      'session_700c65e1-85e2-465a-b9ac-ecb5ec2c988%2F',
      'SESSION_700c65e1-85e2-465a-b9ac-ecb5ec2c9881x',
      undefined,
      {},
    ]) {
      expect(isSessionId(value)).toBe(false);
    }
  });
});

describe('describeValue', () => {
  it('quotes short strings and shortens long ones', () => {
    expect(describeValue('abc')).toBe('"abc"');
    expect(describeValue('x'.repeat(200))).toBe('a 200-character string');
    expect(describeValue({})).toBe('a value of type object');
    expect(describeValue(undefined)).toBe('undefined');
  });
});

describe('normalizeSessionId', () => {
  it('gives every letter-case spelling of one id the same lower-case id', () => {
    const id = 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881';
    for (const spelling of [id, id.toUpperCase(), 'Session_700C65e1-85e2-465A-b9ac-ECB5ec2c9881']) {
      expect(normalizeSessionId(spelling)).toBe(id);
    }
  });

  it('is null for anything that is not session_<uuid>', () => {
    for (const value of [
      '',
      'session_',
      `session_${'a'.repeat(36)}`,
      ' session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881',
      null,
      42,
    ]) {
      expect(normalizeSessionId(value)).toBeNull();
    }
  });
});
