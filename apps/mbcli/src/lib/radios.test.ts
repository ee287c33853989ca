import { collector } from '@message-bus/proto';
import { describe, expect, it } from 'vitest';
import { parseRadios, radioName } from './radios';

describe('parseRadios', () => {
  it('reads radio names in any case as the wire enum, and names them back', () => {
    expect(parseRadios(['WiFi', 'bluetooth', 'mobile'])).toEqual([
      collector.DEVICE.WIFI,
      collector.DEVICE.BLUETOOTH,
      collector.DEVICE.MOBILE,
    ]);
    expect(radioName(collector.DEVICE.BLUETOOTH)).toBe('bluetooth');
  });

  it('rejects an unknown radio, listing the known ones', () => {
    expect(() => parseRadios(['lora'])).toThrow(
      '--radios "lora" is not a radio; use mobile, wifi, bluetooth',
    );
  });
});
