import { collector } from '@message-bus/proto';
import { InputError } from './input-error';

const RADIOS: Record<string, collector.DEVICE> = {
  mobile: collector.DEVICE.MOBILE,
  wifi: collector.DEVICE.WIFI,
  bluetooth: collector.DEVICE.BLUETOOTH,
};

/** `wifi`, `bluetooth`, `mobile` (any case) as the wire's DEVICE values. */
export function parseRadios(names: readonly string[]): collector.DEVICE[] {
  return names.map((name) => {
    const radio = RADIOS[name.trim().toLowerCase()];
    if (radio === undefined) {
      throw new InputError(`--radios "${name}" is not a radio; use ${Object.keys(RADIOS).join(', ')}`);
    }
    return radio;
  });
}

export function radioName(radio: collector.DEVICE): string {
  return Object.keys(RADIOS).find((name) => RADIOS[name] === radio) ?? 'unknown';
}
