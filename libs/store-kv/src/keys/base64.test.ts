import { describe, expect, it } from 'vitest';
import { encodeStdBase64, isStdBase64 } from './base64';

describe('std base64', () => {
  it('encodes exactly as Buffer does, for every padding case', () => {
    const bytes = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff);
    for (let length = 0; length <= bytes.length; length += 1) {
      const expected = Buffer.from(bytes.subarray(0, length)).toString('base64');
      expect(Buffer.from(encodeStdBase64(bytes, length)).toString('latin1')).toBe(expected);
    }
  });

  it('recognises only canonical padded base64', () => {
    expect(isStdBase64('eyJUaW1lc3RhbXAiOjF9')).toBe(true);
    expect(isStdBase64('')).toBe(true);
    expect(isStdBase64('YQ==')).toBe(true);
    expect(isStdBase64('YQ')).toBe(false);
    expect(isStdBase64('YQ=')).toBe(false);
    expect(isStdBase64('Y-_Q')).toBe(false);
    expect(isStdBase64('YQ==\n')).toBe(false);
  });
});
