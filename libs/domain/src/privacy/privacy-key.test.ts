import { describe, expect, it } from 'vitest';
import { decodePrivacyKey, privacyKeyProblem } from './privacy-key';

describe('decodePrivacyKey', () => {
  const key = Buffer.from(Array.from({ length: 32 }, (_, index) => index * 7));

  it('reads hex, base64 and base64url of 32 bytes or more', () => {
    expect(decodePrivacyKey(key.toString('hex'))).toEqual(key);
    expect(decodePrivacyKey(key.toString('base64'))).toEqual(key);
    expect(decodePrivacyKey(key.toString('base64url'))).toEqual(key);
    expect(decodePrivacyKey(`${key.toString('hex')}\n`)).toEqual(key);
    expect(decodePrivacyKey(Buffer.alloc(64, 1).toString('base64'))).toHaveLength(64);
  });

  it.each([
    ['31 bytes of hex', Buffer.alloc(31, 1).toString('hex')],
    ['31 bytes of base64', Buffer.alloc(31, 1).toString('base64')],
    ['a passphrase', 'correct horse battery staple, but not a key'],
    ['nothing', ''],
  ])('refuses %s without quoting it', (_label, text) => {
    let message = '';
    try {
      decodePrivacyKey(text);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      'the key must be at least 32 random bytes written as hex (64 characters) or base64 (44 characters)',
    );
  });

  it('tells an option check why a key is unusable, and nothing for a good one', () => {
    expect(privacyKeyProblem(key.toString('base64'))).toBeUndefined();
    expect(privacyKeyProblem('0123')).toBe(
      'the key must be at least 32 random bytes written as hex (64 characters) or base64 (44 characters)',
    );
  });
});
