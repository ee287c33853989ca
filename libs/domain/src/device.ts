/** The radio a device was seen on. Mirrors the wire enum `collector.DEVICE` (minus UNKNOWN). */
export type DeviceKind = 'wifi' | 'bluetooth' | 'mobile';

export const DEVICE_KINDS: readonly DeviceKind[] = ['wifi', 'bluetooth', 'mobile'];

/**
 * A device identifier as a detector reported it (a MAC address, an IMSI...):
 * 1–128 printable characters. It must go through the pseudonymiser before anything
 * stores, logs or compares it.
 */
export type RawDeviceId = string & { readonly __brand: 'RawDeviceId' };

/**
 * What the system keeps instead of a device identifier: 22 base64url characters
 * (a truncated keyed HMAC). Never contains `.` or `/`, so it is safe as a key segment.
 */
export type Pseudonym = string & { readonly __brand: 'Pseudonym' };
