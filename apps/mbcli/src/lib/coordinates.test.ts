import { describe, expect, it } from 'vitest';
import { degreesToFixed, fixedToDegrees } from './coordinates';

describe('degreesToFixed', () => {
  it('scales degrees by 1e5 to the nearest unit, as the wire keeps them', () => {
    expect(degreesToFixed('lat', 52.090734)).toBe(5_209_073n);
    expect(degreesToFixed('lon', -5.121425)).toBe(-512_143n);
    expect(fixedToDegrees(5_209_073n)).toBe(52.09073);
  });

  it('rejects what no place on Earth has, naming the flag', () => {
    expect(() => degreesToFixed('lat', 90.5)).toThrow(
      '--lat 90.5 is not a latitude; give degrees in -90..90',
    );
    expect(() => degreesToFixed('lon', Number.NaN)).toThrow('--lon NaN is not a longitude');
    expect(degreesToFixed('lon', 180)).toBe(18_000_000n);
  });
});
