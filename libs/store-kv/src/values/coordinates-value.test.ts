import { StoreInvalidArgumentError } from '@message-bus/repository';
import { describe, expect, it } from 'vitest';
import { decodeCoordinatesValue, encodeCoordinatesValue } from './coordinates-value';

describe('coordinates value', () => {
  it('writes fixed-point integers as JSON (golden) and reads them back', () => {
    const bytes = encodeCoordinatesValue({ latitude: 5232000, longitude: -1320000 });
    expect(Buffer.from(bytes).toString()).toBe('{"latitude":5232000,"longitude":-1320000}');
    expect(decodeCoordinatesValue(bytes)).toEqual({
      ok: true,
      value: { latitude: 5232000, longitude: -1320000 },
    });
  });

  it('keeps the extremes', () => {
    const poles = { latitude: -9000000, longitude: 18000000 };
    expect(decodeCoordinatesValue(encodeCoordinatesValue(poles))).toEqual({ ok: true, value: poles });
  });

  it('refuses fractions and out-of-range values naming the axis', () => {
    expect(() => encodeCoordinatesValue({ latitude: 9000001, longitude: 0 })).toThrow(
      new StoreInvalidArgumentError(
        'coordinates.latitude: 9000001 is not a whole number of 1e-5 degrees within ±9000000',
      ),
    );
    expect(() => encodeCoordinatesValue({ latitude: 0, longitude: 0.5 })).toThrow(
      /^coordinates\.longitude: 0\.5 /,
    );
  });

  it('rejects malformed values with a reason', () => {
    expect(decodeCoordinatesValue(Buffer.from('{"latitude":1}'))).toEqual({
      ok: false,
      reason: "value's longitude is missing or not a whole number of 1e-5 degrees within ±18000000",
    });
    expect(decodeCoordinatesValue(Buffer.from('nope'))).toEqual({ ok: false, reason: 'value is not JSON' });
  });
});
