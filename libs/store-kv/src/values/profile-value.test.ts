import type { RouteName, TypicalProfile } from '@message-bus/domain';
import { describe, expect, it } from 'vitest';
import { decodeProfileValue, encodeProfileValue } from './profile-value';

const target = { kind: 'route', route: 'north' as RouteName } as const;
const profile: TypicalProfile = {
  target,
  computedAt: 1563691800000000001n,
  weeks: 4,
  binMinutes: 15,
  timeZone: 'Europe/Warsaw',
  freeFlowSeconds: 40,
  bins: [
    { dayOfWeek: 1, minuteOfDay: 0, medianSeconds: 61.5, p15Seconds: 55, p85Seconds: 70, samples: 12 },
    { dayOfWeek: 7, minuteOfDay: 1425, medianSeconds: 58, p15Seconds: 50, p85Seconds: 66.25, samples: 3 },
  ],
};

describe('typical profile value', () => {
  it('writes compact JSON, each bin an array (golden), and reads it back exactly', () => {
    const bytes = encodeProfileValue(profile);
    expect(Buffer.from(bytes).toString()).toBe(
      '{"computed_at":"1563691800000000001","weeks":4,"bin_minutes":15,"time_zone":"Europe/Warsaw",' +
        '"free_flow_seconds":40,"bins":[[1,0,61.5,55,70,12],[7,1425,58,50,66.25,3]]}',
    );
    expect(decodeProfileValue(bytes, target)).toStrictEqual({ ok: true, value: profile });
    const { freeFlowSeconds: _unset, ...withoutData } = { ...profile, bins: [] };
    expect(decodeProfileValue(encodeProfileValue(withoutData), target)).toStrictEqual({
      ok: true,
      value: withoutData,
    });
  });

  it('refuses a bin outside the week or a count that is not one, naming the field', () => {
    const bin = profile.bins[0]!;
    expect(() => encodeProfileValue({ ...profile, bins: [bin, { ...bin, minuteOfDay: 1440 }] })).toThrow(
      'profile.bins[1].minuteOfDay: 1440 is not a minute 0..1439',
    );
    expect(() => encodeProfileValue({ ...profile, bins: [{ ...bin, samples: 1.5 }] })).toThrow(
      'profile.bins[0].samples: 1.5 is not a whole number ≥ 0',
    );
    expect(() => encodeProfileValue({ ...profile, timeZone: '' })).toThrow('profile.timeZone');
  });

  it('rejects malformed values with a reason', () => {
    const text = Buffer.from(encodeProfileValue(profile)).toString();
    expect(decodeProfileValue(Buffer.from(text.replace('[7,1425', '[8,1425')), target)).toEqual({
      ok: false,
      reason: "value's bins[1] is not [day 1-7, minute of day, median, p15, p85, samples]",
    });
    expect(
      decodeProfileValue(Buffer.from(text.replace('"computed_at":"', '"computed_at":"x')), target),
    ).toMatchObject({ ok: false });
  });
});
