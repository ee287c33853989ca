import { describe, expect, it } from 'vitest';
import { EventValueCodec } from './event-value';

const codec = new EventValueCodec();
const ascii = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
const stored = (text: string) => Buffer.from(text, 'latin1');
const base64Of = (json: string) => stored(Buffer.from(json, 'utf8').toString('base64'));

describe('event value', () => {
  it('writes the exact bytes of the original (golden from its query/etcd_test.go)', () => {
    // The original's test value for 1563691800139778436: base64 of {"Timestamp":1563691800139778436}.
    expect(ascii(codec.encode(1563691800139778436n))).toBe('eyJUaW1lc3RhbXAiOjE1NjM2OTE4MDAxMzk3Nzg0MzZ9');
  });

  it('adds the previous pseudonym as a member the original ignores (golden)', () => {
    const bytes = codec.encode(1563691800139778436n, 'PrEvIoUsPsEuDoNyM0123_');
    expect(ascii(bytes)).toBe(
      'eyJUaW1lc3RhbXAiOjE1NjM2OTE4MDAxMzk3Nzg0MzYsIlByZXZpb3VzIjoiUHJFdklvVXNQc0V1RG9OeU0wMTIzXyJ9',
    );
    expect(Buffer.from(ascii(bytes), 'base64').toString()).toBe(
      '{"Timestamp":1563691800139778436,"Previous":"PrEvIoUsPsEuDoNyM0123_"}',
    );
  });

  it('round-trips nanoseconds above 2^53 exactly', () => {
    for (const time of [9007199254740993n, 1563691800139778436n, 9223372036854775807n, 0n]) {
      expect(codec.decode(codec.encode(time))).toEqual({ ok: true, value: { time } });
    }
    expect(codec.decode(codec.encode(1563691800139778437n, 'prev'))).toEqual({
      ok: true,
      value: { time: 1563691800139778437n, previousDeviceId: 'prev' },
    });
  });

  it('encodes a long or non-ASCII previous id exactly too', () => {
    for (const previous of ['é'.repeat(100), 'x'.repeat(1000)]) {
      const bytes = codec.encode(5n, previous);
      expect(Buffer.from(Buffer.from(bytes).toString('latin1'), 'base64').toString('utf8')).toBe(
        `{"Timestamp":5,"Previous":"${previous}"}`,
      );
      expect(codec.decode(bytes)).toEqual({ ok: true, value: { time: 5n, previousDeviceId: previous } });
    }
  });

  it('reads what the original readers accept: other members, spacing, any case of Timestamp', () => {
    const cases = [
      '{"Timestamp":1563691800139778436,"Extra":[1,{"a":"}"}]}',
      '{ "timestamp" : 1563691800139778436 }',
      '{"Other":"x","TIMESTAMP":1563691800139778436}',
      '{"timestamp": "1563691800139778436"}',
    ];
    for (const json of cases) {
      expect(codec.decode(base64Of(json))).toEqual({ ok: true, value: { time: 1563691800139778436n } });
    }
  });

  it('reads the plain form exactly as its definition does, for every digit count and any corrupted byte', () => {
    // The definition: standard padded base64 of `{"Timestamp":<0 or digits without a leading zero>}`.
    const isStdBase64 = (bytes: Uint8Array) =>
      /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(ascii(bytes));
    const plainTime = (bytes: Uint8Array): bigint | undefined => {
      const match = /^\{"Timestamp":(0|[1-9][0-9]{0,18})\}$/.exec(
        Buffer.from(ascii(bytes), 'base64').toString(),
      );
      return match === null ? undefined : BigInt(match[1]!);
    };
    let plain = 0;
    const values: Uint8Array[] = [];
    for (let digits = 1; digits <= 20; digits += 1) {
      values.push(base64Of(`{"Timestamp":${'9876543210123456789'.repeat(2).slice(0, digits)}}`));
      values.push(base64Of(`{"Timestamp":0${'1'.repeat(digits - 1)}}`));
    }
    values.push(base64Of('{"Timestamp":9223372036854775807}'), base64Of('{"timestamp":12}'));
    const replacements = [0x3d, 0x41, 0x2b, 0x2f, 0x21, 0xe9, 0x00];
    for (const value of values) {
      const variants = [value];
      for (let at = 0; at < value.length; at += 1) {
        for (const replacement of replacements) {
          const variant = Uint8Array.from(value);
          variant[at] = replacement;
          variants.push(variant);
        }
      }
      for (const variant of variants) {
        const decoded = codec.decode(variant);
        if (!isStdBase64(variant)) {
          expect(decoded).toEqual({ ok: false, reason: 'value is not standard padded base64' });
          continue;
        }
        const expected = plainTime(variant);
        if (expected === undefined) continue; // not the plain form: read by the general path
        plain += 1;
        expect(decoded).toEqual({ ok: true, value: { time: expected } });
      }
    }
    expect(plain).toBeGreaterThan(40);
  });

  it.each([
    ['not base64 at all', stored('{"Timestamp":1}'), 'value is not standard padded base64'],
    ['unpadded base64', stored('eyJUaW1lc3RhbXAiOjF9'.slice(0, -1)), 'value is not standard padded base64'],
    ['base64 of non-JSON', base64Of('Timestamp=1'), "value's base64 content is not JSON"],
    ['a JSON array', base64Of('[1]'), "value's base64 content is JSON but not an object"],
    ['no Timestamp', base64Of('{"Time":1}'), 'value has no Timestamp'],
    [
      'a fractional Timestamp',
      base64Of('{"Timestamp":1.5}'),
      'value\'s Timestamp "1.5" is not 1 to 19 decimal digits of unix nanoseconds',
    ],
    [
      'a negative Timestamp',
      base64Of('{"Timestamp":-1}'),
      'value\'s Timestamp "-1" is not 1 to 19 decimal digits of unix nanoseconds',
    ],
    [
      'a 20-digit Timestamp',
      base64Of('{"Timestamp":15636918001397784360}'),
      'value\'s Timestamp "15636918001397784360" is not 1 to 19 decimal digits of unix nanoseconds',
    ],
    [
      'a non-string Previous',
      base64Of('{"Timestamp":1,"Previous":5}'),
      "value's Previous is not a non-empty string",
    ],
  ])('rejects %s with a reason', (_case, bytes, reason) => {
    expect(codec.decode(bytes)).toEqual({ ok: false, reason });
  });
});
