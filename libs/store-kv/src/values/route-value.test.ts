import type { DetectorId, RouteName } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { describe, expect, it } from 'vitest';
import { decodeRouteValue, encodeRouteValue } from './route-value';

const name = 'north' as RouteName;
const route = { name, detectorIds: ['a', 'b', 'c'] as DetectorId[] };

describe('route value', () => {
  it('writes the detector ids in order (golden) and reads them back', () => {
    const bytes = encodeRouteValue(route);
    expect(Buffer.from(bytes).toString()).toBe('{"detector_ids":["a","b","c"]}');
    expect(decodeRouteValue(bytes, name)).toEqual({ ok: true, value: route });
  });

  it('refuses fewer than two detectors or an id that cannot be a key, naming the field', () => {
    expect(() => encodeRouteValue({ name, detectorIds: ['a' as DetectorId] })).toThrow(
      StoreInvalidArgumentError,
    );
    expect(() => encodeRouteValue({ name, detectorIds: ['a', 'b/c'] as DetectorId[] })).toThrow(
      /^route\.detectorIds\[1\]: "b\/c"/,
    );
  });

  it('rejects malformed values with a reason', () => {
    expect(decodeRouteValue(Buffer.from('{"detector_ids":["a"]}'), name)).toEqual({
      ok: false,
      reason: "value's detector_ids is not a list of 2 or more ids",
    });
    expect(decodeRouteValue(Buffer.from('{"detector_ids":["a",7]}'), name)).toEqual({
      ok: false,
      reason: "value's detector_ids[1] is not a string",
    });
    expect(decodeRouteValue(Buffer.from('[]'), name)).toEqual({
      ok: false,
      reason: 'value is JSON but not an object',
    });
  });
});
