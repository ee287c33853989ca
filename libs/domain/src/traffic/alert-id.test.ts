import { decodeTime, isValid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { parseDetectorId } from '../ids/detector-id';
import type { UnixNanos } from '../time';
import { alertId, alertSubjectKey } from './alert-id';
import { parseRouteName } from './route';

const a = parseDetectorId('a');
const b = parseDetectorId('b');
const START: UnixNanos = 1_765_000_000_123_456_789n;
const link = { kind: 'link', source: a, destination: b } as const;

describe('alertId', () => {
  it('is a ULID of the start millisecond, the same for the same condition', () => {
    const id = alertId('congestion', link, START);
    expect(id).toHaveLength(26);
    expect(isValid(id)).toBe(true);
    expect(id).toBe(id.toUpperCase());
    expect(decodeTime(id)).toBe(1_765_000_000_123);
    expect(alertId('congestion', { kind: 'link', source: a, destination: b }, START)).toBe(id);
    // Pinned (computed apart: time digits, then SHA-256 bytes 0..15 mod 32 as Crockford
    // digits): a change of derivation would re-raise every open alert under a new id.
    expect(id).toBe('01KBS35CKVA5HMZFT36P25X4FW');
  });

  it('differs by kind, subject and nanosecond start', () => {
    const ids = [
      alertId('congestion', link, START),
      alertId('clock_skew', link, START),
      alertId('congestion', { kind: 'link', source: b, destination: a }, START),
      alertId('congestion', { kind: 'route', route: parseRouteName('a') }, START),
      alertId('detector_silent', { kind: 'detector', detectorId: a }, START),
      alertId('congestion', link, START + 1n),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keys subjects by their kind', () => {
    expect(alertSubjectKey(link)).toBe('link:a>b');
    expect(alertSubjectKey({ kind: 'route', route: parseRouteName('north') })).toBe('route:north');
    expect(alertSubjectKey({ kind: 'detector', detectorId: a })).toBe('detector:a');
  });
});
