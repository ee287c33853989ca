import { StoreInvalidArgumentError } from '@message-bus/repository';
import { describe, expect, it } from 'vitest';
import { decodeLinkValue, encodeLinkValue } from './link-value';

const text = (value: string) => Buffer.from(value, 'utf8');

describe('link value', () => {
  it('writes the design note form exactly (golden)', () => {
    expect(Buffer.from(encodeLinkValue({ maxSeconds: 600 })).toString()).toBe('{"max_seconds":"600"}');
  });

  it('adds min_seconds only when the link sets one, in the same form', () => {
    const bytes = encodeLinkValue({ maxSeconds: 600, minSeconds: 20 });
    expect(Buffer.from(bytes).toString()).toBe('{"max_seconds":"600","min_seconds":"20"}');
    expect(decodeLinkValue(bytes)).toEqual({ ok: true, value: { maxSeconds: 600, minSeconds: 20 } });
    expect(decodeLinkValue(text('{"max_seconds":"600","min_seconds":0}'))).toEqual({
      ok: true,
      value: { maxSeconds: 600 },
    });
  });

  it('reads the design note form, a number, and what the original code wrote', () => {
    const value = { maxSeconds: 600 };
    expect(decodeLinkValue(text('{"max_seconds": "600"}'))).toEqual({ ok: true, value });
    expect(decodeLinkValue(text('{"max_seconds":600}'))).toEqual({ ok: true, value });
    // collector/etcd.go: base64.StdEncoding of json.Marshal(struct{ MaxSeconds int64 }).
    expect(decodeLinkValue(text('eyJNYXhTZWNvbmRzIjo2MDB9'))).toEqual({ ok: true, value });
  });

  it('refuses to write a value outside 1..86400', () => {
    for (const bad of [0, -5, 86401, 1.5, Number.NaN]) {
      expect(() => encodeLinkValue({ maxSeconds: bad }, 'link')).toThrow(
        new StoreInvalidArgumentError(`link.maxSeconds: ${bad} is not a whole number of seconds in 1..86400`),
      );
    }
    expect(() => encodeLinkValue({ maxSeconds: 600, minSeconds: 600 })).toThrow(
      new StoreInvalidArgumentError('link.minSeconds: 600 is not a whole number of seconds in 1..599'),
    );
  });

  it.each([
    ['{"max_seconds":"ten"}', 'value\'s max_seconds "ten" is not a whole number of seconds in 1..86400'],
    ['{"max_seconds":0}', "value's max_seconds 0 is not a whole number of seconds in 1..86400"],
    ['{"max_seconds":100000}', "value's max_seconds 100000 is not a whole number of seconds in 1..86400"],
    ['{"seconds":600}', 'value has no max_seconds'],
    [
      '{"max_seconds":"60","min_seconds":"60"}',
      'value\'s min_seconds "60" is not a whole number of seconds in 1..59',
    ],
    ['600', 'value is JSON but not an object'],
    ['{max_seconds:600}', 'value is not JSON'],
  ])('rejects %s with a reason', (value, reason) => {
    expect(decodeLinkValue(text(value))).toEqual({ ok: false, reason });
  });

  it('rejects bytes that are not UTF-8', () => {
    expect(decodeLinkValue(new Uint8Array([0x7b, 0xff, 0x7d]))).toEqual({
      ok: false,
      reason: 'value is not UTF-8 text',
    });
  });
});
