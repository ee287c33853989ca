import { describe, expect, it } from 'vitest';
import { InputError } from '../input-error';
import { chooseListedReading, linkFlagReadings } from './travel-time-chart-link';

describe('linkFlagReadings', () => {
  it('splits SOURCE:DESTINATION, every way a colon allows', () => {
    expect(linkFlagReadings('a1:b1')).toEqual([{ source: 'a1', destination: 'b1' }]);
    expect(linkFlagReadings('r:1:b1')).toEqual([
      { source: 'r', destination: '1:b1' },
      { source: 'r:1', destination: 'b1' },
    ]);
  });

  it('refuses a flag that names no link', () => {
    for (const text of ['a1', ':b1', 'a1:', ':']) {
      expect(() => linkFlagReadings(text)).toThrow(
        new InputError(`--link "${text}" is not a link; give SOURCE:DESTINATION, e.g. a1:b1`),
      );
    }
  });
});

describe('chooseListedReading', () => {
  const readings = linkFlagReadings('r:1:b1');

  it('picks the one reading that is a listed link', () => {
    const listed = [
      { source: 'r:1', destination: 'b1' },
      { source: 'x', destination: 'b1' },
    ];
    expect(chooseListedReading('r:1:b1', readings, listed)).toEqual({ source: 'r:1', destination: 'b1' });
  });

  it('refuses when none or both readings are listed', () => {
    expect(() => chooseListedReading('r:1:b1', readings, [])).toThrow(
      '--link "r:1:b1" could be r → 1:b1, r:1 → b1, and none of them is a listed link; see `mbcli links list`',
    );
    expect(() => chooseListedReading('r:1:b1', readings, readings)).toThrow(/more than one of them/);
  });
});
