import { StoreInvalidArgumentError } from '@message-bus/repository';
import { describe, expect, it } from 'vitest';
import { decodeLinkValue, encodeLinkValue } from './link-value';

const text = (value: string) => Buffer.from(value, 'utf8');

describe('link value', () => {
  it('writes the design note form exactly (golden)', () => {
    expect(Buffer.from(encodeLinkValue(600)).toString()).toBe('{"max_seconds":"600"}');
  });

  it('reads the design note form, a number, and what the original code wrote', () => {
    expect(decodeLinkValue(text('{"max_seconds": "600"}'))).toEqual({ ok: true, value: 600 });
    expect(decodeLinkValue(text('{"max_seconds":600}'))).toEqual({ ok: true, value: 600 });
    // collector/etcd.go: base64.StdEncoding of json.Marshal(struct{ MaxSeconds int64 }).
    expect(decodeLinkValue(text('eyJNYXhTZWNvbmRzIjo2MDB9'))).toEqual({ ok: true, value: 600 });
  });

  it('refuses to write a value outside 1..86400', () => {
    for (const bad of [0, -5, 86401, 1.5, Number.NaN]) {
      expect(() => encodeLinkValue(bad, 'link.maxSeconds')).toThrow(
        new StoreInvalidArgumentError(`link.maxSeconds: ${bad} is not a whole number of seconds in 1..86400`),
      );
    }
  });

  it.each([
    ['{"max_seconds":"ten"}', 'value\'s max_seconds "ten" is not a whole number of seconds in 1..86400'],
    ['{"max_seconds":0}', "value's max_seconds 0 is not a whole number of seconds in 1..86400"],
    ['{"max_seconds":100000}', "value's max_seconds 100000 is not a whole number of seconds in 1..86400"],
    ['{"seconds":600}', 'value has no max_seconds'],
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
