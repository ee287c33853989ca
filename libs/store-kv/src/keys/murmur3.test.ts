import { describe, expect, it } from 'vitest';
import { murmur3x86128 } from './murmur3';

const hex = (data: Uint8Array) => {
  const out = new Uint8Array(16);
  murmur3x86128(data, data.length, out);
  return Buffer.from(out).toString('hex');
};

describe('murmur3x86128', () => {
  it('matches the reference implementation (vectors from Python mmh3.hash_bytes(data, 0, False))', () => {
    expect(hex(new Uint8Array(0))).toBe('00000000000000000000000000000000');
    expect(hex(Buffer.from('hello'))).toBe('a044242bf7de91dbb631db9ab631db9a');
    expect(hex(Buffer.from('The quick brown fox jumps over the lazy dog'))).toBe(
      'c383152f672ceeec6cf67b5d2c1de9e5',
    );
    expect(hex(Uint8Array.from({ length: 45 }, (_, i) => i))).toBe('f40a394763a661e9d8846bc95010943d');
  });

  it('hashes only the first `length` bytes', () => {
    const out = new Uint8Array(16);
    murmur3x86128(Buffer.from('hello, world'), 5, out);
    expect(Buffer.from(out).toString('hex')).toBe('a044242bf7de91dbb631db9ab631db9a');
  });
});
