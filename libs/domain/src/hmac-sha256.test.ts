import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HmacSha256 } from './hmac-sha256';

const hex = (text: string) => Buffer.from(text, 'hex');

function digest(key: Uint8Array, message: Uint8Array): string {
  const out = Buffer.alloc(32);
  new HmacSha256(key).digestInto(message, message.length, out);
  return out.toString('hex');
}

describe('HmacSha256', () => {
  // RFC 4231, section 4: test cases 1, 2, 3, 4, 6 and 7 (5 truncates the output).
  it.each([
    [
      '0b'.repeat(20),
      Buffer.from('Hi There').toString('hex'),
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    ],
    [
      Buffer.from('Jefe').toString('hex'),
      Buffer.from('what do ya want for nothing?').toString('hex'),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    ],
    ['aa'.repeat(20), 'dd'.repeat(50), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
    [
      '0102030405060708090a0b0c0d0e0f10111213141516171819',
      'cd'.repeat(50),
      '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
    ],
    [
      'aa'.repeat(131),
      Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First').toString('hex'),
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    ],
    [
      'aa'.repeat(131),
      Buffer.from(
        'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
      ).toString('hex'),
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    ],
  ])('matches RFC 4231 (key %s…)', (key, message, expected) => {
    expect(digest(hex(key), hex(message))).toBe(expected);
  });

  it('equals node:crypto for random keys and messages of every padding case, 0 to 300 bytes', () => {
    for (let length = 0; length <= 300; length += 1) {
      for (const keyLength of [16, 32, 64, 65, 100]) {
        const key = randomBytes(keyLength);
        const message = randomBytes(length);
        expect(digest(key, message), `key ${keyLength} B, message ${length} B`).toBe(
          createHmac('sha256', key).update(message).digest('hex'),
        );
      }
    }
  });

  it('reuses one key for many messages, and hashes only the first `length` bytes', () => {
    const key = randomBytes(32);
    const hmac = new HmacSha256(key);
    const out = Buffer.alloc(32);
    const buffer = Buffer.from('wifi\u0000aa:bb:cc:dd:ee:ffTRAILING', 'utf8');
    for (let round = 0; round < 3; round += 1) {
      hmac.digestInto(buffer, buffer.length - 'TRAILING'.length, out);
      expect(out.toString('hex')).toBe(
        createHmac('sha256', key).update('wifi\u0000aa:bb:cc:dd:ee:ff', 'utf8').digest('hex'),
      );
    }
    expect(() => hmac.digestInto(buffer, buffer.length + 1, out)).toThrow(RangeError);
  });
});
