import { createHmac, hkdfSync } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { expectRejection } from '../../test/expect-rejection';
import { parseRawDeviceId, type DeviceKind, type Pseudonym } from '../ids/device';
import { NEVER_ROTATING_PERIOD_START, Pseudonymiser, type PseudonymiserOptions } from './pseudonymiser';

const MASTER = Uint8Array.from({ length: 32 }, (_, index) => index);
const OTHER_MASTER = Uint8Array.from({ length: 32 }, (_, index) => 255 - index);
const SECOND = 1_000_000_000n;
const DAY = 86_400n * SECOND;
/** 2026-11-30T03:00:00Z, a rotation boundary for `utcHour: 3`. */
const BOUNDARY = 1_796_007_600n * SECOND;
const OVERLAP_SECONDS = 900;
const MAC = parseRawDeviceId('4C:1A:3D:00:9E:F2');

function daily(options: Partial<PseudonymiserOptions> = {}): Pseudonymiser {
  return new Pseudonymiser({
    masterSecret: MASTER,
    rotation: { kind: 'daily', utcHour: 3 },
    overlapSeconds: OVERLAP_SECONDS,
    ...options,
  });
}

/** The specified construction, computed here independently of the class. */
function specifiedPseudonym(
  master: Uint8Array,
  periodLabel: string,
  kind: DeviceKind,
  rawId: string,
): string {
  const periodKey = Buffer.from(
    hkdfSync(
      'sha256',
      master,
      'message-bus pseudonymiser v1',
      `message-bus pseudonym period ${periodLabel}`,
      32,
    ),
  );
  const message = Buffer.concat([Buffer.from(kind), Buffer.from([0]), Buffer.from(rawId, 'utf8')]);
  return createHmac('sha256', periodKey).update(message).digest().subarray(0, 16).toString('base64url');
}

/** Differing bits between two pseudonyms; unrelated 128-bit values differ in about 64. */
function bitDistance(left: Pseudonym, right: Pseudonym): number {
  const a = Buffer.from(left, 'base64url');
  const b = Buffer.from(right, 'base64url');
  let distance = 0;
  for (let index = 0; index < a.length; index += 1) {
    let difference = (a[index] ?? 0) ^ (b[index] ?? 0);
    for (; difference !== 0; difference &= difference - 1) distance += 1;
  }
  return distance;
}

describe('Pseudonymiser', () => {
  it('computes exactly the specified HKDF + HMAC construction', () => {
    expect(daily().pseudonymsAt('wifi', MAC, BOUNDARY + SECOND).current).toBe(
      specifiedPseudonym(MASTER, '2026-11-30T03:00Z', 'wifi', MAC),
    );
    const never = new Pseudonymiser({ masterSecret: MASTER, rotation: { kind: 'never' }, overlapSeconds: 0 });
    expect(never.pseudonymsAt('mobile', MAC, BOUNDARY).current).toBe(
      specifiedPseudonym(MASTER, 'never', 'mobile', MAC),
    );
    const nonAscii = parseRawDeviceId('Gerät 1');
    expect(daily().pseudonymsAt('bluetooth', nonAscii, BOUNDARY - 1n).current).toBe(
      specifiedPseudonym(MASTER, '2026-11-29T03:00Z', 'bluetooth', 'Gerät 1'),
    );
  });

  it('gives the pseudonyms already stored: fixed vectors, so neither side can drift with the other', () => {
    // Computed once with node:crypto (createHmac over hkdfSync); every stored pseudonym depends on them.
    expect(daily().pseudonymsAt('wifi', MAC, BOUNDARY + SECOND).current).toBe('B9TDa55w_12-KJ93STDM_A');
    const never = new Pseudonymiser({ masterSecret: MASTER, rotation: { kind: 'never' }, overlapSeconds: 0 });
    expect(never.pseudonymsAt('mobile', MAC, BOUNDARY).current).toBe('EKGrj67m-DKydrrLntcbbw');
    expect(daily().pseudonymsAt('bluetooth', parseRawDeviceId('Gerät 1'), BOUNDARY - 1n).current).toBe(
      'Q7XAe1QZ604sQ1KzDZbHQQ',
    );
  });

  it('computes the construction for the longest ids too: 128 code points of 1 to 4 UTF-8 bytes', () => {
    for (const character of ['a', 'é', '€', '😀']) {
      const longest = character.repeat(128);
      expect(daily().pseudonymsAt('bluetooth', parseRawDeviceId(longest), BOUNDARY).current, character).toBe(
        specifiedPseudonym(MASTER, '2026-11-30T03:00Z', 'bluetooth', longest),
      );
    }
  });

  it('is deterministic across calls and instances', () => {
    const first = daily().pseudonymsAt('wifi', MAC, BOUNDARY + 7n);
    expect(daily().pseudonymsAt('wifi', MAC, BOUNDARY + 7n)).toEqual(first);
    expect(daily().pseudonymsAt('wifi', parseRawDeviceId('4C:1A:3D:00:9E:F2'), BOUNDARY + 7n)).toEqual(first);
  });

  it('prints 22 base64url characters, never ".", "/" or "="', () => {
    const pseudonymiser = daily();
    for (let index = 0; index < 2_000; index += 1) {
      const { current } = pseudonymiser.pseudonymsAt('wifi', parseRawDeviceId(`device-${index}`), BOUNDARY);
      expect(current).toMatch(/^[A-Za-z0-9_-]{22}$/);
    }
  });

  it('separates keys: another master secret, kind, period or id gives an unrelated pseudonym', () => {
    const time = BOUNDARY + DAY / 2n;
    const base = daily().pseudonymsAt('wifi', MAC, time).current;
    const variants = [
      daily({ masterSecret: OTHER_MASTER }).pseudonymsAt('wifi', MAC, time).current,
      daily().pseudonymsAt('bluetooth', MAC, time).current,
      daily().pseudonymsAt('mobile', MAC, time).current,
      daily().pseudonymsAt('wifi', MAC, time + DAY).current,
      daily().pseudonymsAt('wifi', parseRawDeviceId('4C:1A:3D:00:9E:F3'), time).current,
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
    for (const variant of variants) {
      // 40..88 differing bits is within ±4 standard deviations of random; a related value would sit near 0.
      expect(bitDistance(base, variant)).toBeGreaterThanOrEqual(40);
      expect(bitDistance(base, variant)).toBeLessThanOrEqual(88);
    }
  });

  it('rotates exactly at the boundary: one nanosecond before is the previous period', () => {
    const pseudonymiser = daily();
    expect(pseudonymiser.periodStart(BOUNDARY - 1n)).toBe(BOUNDARY - DAY);
    expect(pseudonymiser.periodStart(BOUNDARY)).toBe(BOUNDARY);
    expect(pseudonymiser.periodStart(BOUNDARY + DAY - 1n)).toBe(BOUNDARY);
    const before = pseudonymiser.pseudonymsAt('wifi', MAC, BOUNDARY - 1n).current;
    const at = pseudonymiser.pseudonymsAt('wifi', MAC, BOUNDARY).current;
    expect(at).not.toBe(before);
    expect(pseudonymiser.pseudonymsAt('wifi', MAC, BOUNDARY - DAY).current).toBe(before);
    expect(pseudonymiser.pseudonymsAt('wifi', MAC, BOUNDARY + DAY - 1n).current).toBe(at);
  });

  it('places the boundary at the configured UTC hour', () => {
    const midnight = daily({ rotation: { kind: 'daily', utcHour: 0 } });
    expect(midnight.periodStart(BOUNDARY)).toBe(BOUNDARY - 3n * 3_600n * SECOND);
    const lateEvening = daily({ rotation: { kind: 'daily', utcHour: 23 } });
    expect(lateEvening.periodStart(BOUNDARY)).toBe(BOUNDARY - 4n * 3_600n * SECOND);
  });

  it('gives the previous pseudonym inside the overlap only', () => {
    const pseudonymiser = daily();
    const previousPeriod = pseudonymiser.pseudonymsAt('wifi', MAC, BOUNDARY - 1n);
    expect(previousPeriod.previous).toBeUndefined();

    const overlapEnd = BOUNDARY + BigInt(OVERLAP_SECONDS) * SECOND;
    for (const time of [BOUNDARY, BOUNDARY + 1n, overlapEnd - 1n]) {
      const inside = pseudonymiser.pseudonymsAt('wifi', MAC, time);
      expect(inside.previous).toBe(previousPeriod.current);
      expect(inside.current).toBe(pseudonymiser.pseudonymsAt('wifi', MAC, BOUNDARY + DAY / 2n).current);
    }
    expect(pseudonymiser.pseudonymsAt('wifi', MAC, overlapEnd)).toEqual({
      current: pseudonymiser.pseudonymsAt('wifi', MAC, BOUNDARY).current,
    });
  });

  it('gives no previous pseudonym when the overlap is zero', () => {
    expect(daily({ overlapSeconds: 0 }).pseudonymsAt('wifi', MAC, BOUNDARY).previous).toBeUndefined();
  });

  it("never rotates with 'never': one pseudonym for all time, and no previous", () => {
    const never = new Pseudonymiser({
      masterSecret: MASTER,
      rotation: { kind: 'never' },
      overlapSeconds: 900,
    });
    const pseudonyms = [BOUNDARY - 1n, BOUNDARY, BOUNDARY + 365n * DAY].map((time) =>
      never.pseudonymsAt('wifi', MAC, time),
    );
    expect(new Set(pseudonyms.map((pair) => pair.current)).size).toBe(1);
    expect(pseudonyms.every((pair) => pair.previous === undefined)).toBe(true);
    expect(never.periodStart(BOUNDARY)).toBe(NEVER_ROTATING_PERIOD_START);
    expect(pseudonyms[0]?.current).not.toBe(daily().pseudonymsAt('wifi', MAC, BOUNDARY).current);
  });

  it('gives the same pseudonyms when periods outnumber its key cache', () => {
    const reused = daily();
    const times = Array.from(
      { length: 20 },
      (_, index) => BOUNDARY + BigInt(index % 2 === 0 ? index : -index) * DAY,
    );
    const firstPass = times.map((time) => reused.pseudonymsAt('wifi', MAC, time));
    const secondPass = [...times].reverse().map((time) => reused.pseudonymsAt('wifi', MAC, time));
    expect(secondPass.reverse()).toEqual(firstPass);
    expect(firstPass).toEqual(times.map((time) => daily().pseudonymsAt('wifi', MAC, time)));
  });

  it('copies the master secret, and shows neither it nor raw ids when inspected', () => {
    const secret = Uint8Array.from(MASTER);
    const pseudonymiser = daily({ masterSecret: secret });
    const before = pseudonymiser.pseudonymsAt('wifi', MAC, BOUNDARY);
    secret.fill(0);
    expect(pseudonymiser.pseudonymsAt('wifi', MAC, BOUNDARY)).toEqual(before);
    expect(inspect(pseudonymiser, { showHidden: true, depth: 10 })).toBe('Pseudonymiser {}');
    expect(JSON.stringify(pseudonymiser)).toBe('{}');
  });

  it('rejects a short master secret, a bad hour and a bad overlap', () => {
    expectRejection(
      () => daily({ masterSecret: new Uint8Array(31) }),
      'too_short',
      'masterSecret',
      'is 31 bytes; at least 32 random bytes are needed',
    );
    expectRejection(
      () => daily({ rotation: { kind: 'daily', utcHour: 24 } }),
      'out_of_range',
      'rotation.utcHour',
      'is 24; an hour of the day is 0 to 23',
    );
    expectRejection(
      () => daily({ rotation: { kind: 'daily', utcHour: 2.5 } }),
      'not_integer',
      'rotation.utcHour',
      'is 2.5, not a whole number',
    );
    expectRejection(
      () => daily({ rotation: { kind: 'weekly' } as never }),
      'unknown_value',
      'rotation.kind',
      'is neither "never" nor "daily"',
    );
    const overlapRule = 'the overlap is 0 to 86399 seconds, shorter than a rotation period';
    expectRejection(
      () => daily({ overlapSeconds: 86_400 }),
      'out_of_range',
      'overlapSeconds',
      `is 86400; ${overlapRule}`,
    );
    expectRejection(
      () => daily({ overlapSeconds: -1 }),
      'out_of_range',
      'overlapSeconds',
      `is -1; ${overlapRule}`,
    );
    expectRejection(
      () => daily({ overlapSeconds: 0.5 }),
      'not_integer',
      'overlapSeconds',
      'is 0.5, not a whole number',
    );
  });
});
