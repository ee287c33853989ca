import { describe, expect, it } from 'vitest';
import { expectRejection } from '../test/expect-rejection';
import { parseDetectorLink } from './detector-link';

const WIRE_FIELDS = {
  destination: 'dest_detector_id',
  source: 'src_detectors[2].detector_id',
  maxSeconds: 'src_detectors[2].max_seconds',
};
const SECONDS_RULE = "a link's maximum travel time is 1 to 86400 seconds";

describe('parseDetectorLink', () => {
  it('accepts a link, with maxSeconds as a number or an int64 bigint, at both limits', () => {
    expect(parseDetectorLink({ destination: 'B', source: 'A', maxSeconds: 600 })).toEqual({
      destination: 'B',
      source: 'A',
      maxSeconds: 600,
    });
    expect(parseDetectorLink({ destination: 'B', source: 'A', maxSeconds: 86_400n }).maxSeconds).toBe(86_400);
    expect(parseDetectorLink({ destination: 'B', source: 'A', maxSeconds: 1 }).maxSeconds).toBe(1);
  });

  it('validates both ids, under the field names the caller gives', () => {
    expectRejection(
      () => parseDetectorLink({ destination: 'a/b', source: 'A', maxSeconds: 600 }, WIRE_FIELDS),
      'bad_character',
      'dest_detector_id',
      "has U+002F '/' at character 2; allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'",
    );
    expectRejection(
      () => parseDetectorLink({ destination: 'B', source: '', maxSeconds: 600 }, WIRE_FIELDS),
      'empty',
      'src_detectors[2].detector_id',
      'is empty; an id has 1 to 64 characters',
    );
    expectRejection(
      () => parseDetectorLink({ destination: 'B'.repeat(65), source: 'A', maxSeconds: 600 }),
      'too_long',
      'destination',
      'is 65 characters long; the limit is 64',
    );
  });

  it('rejects maxSeconds outside 1..86400, fractional or not finite', () => {
    const link = (maxSeconds: number | bigint) => () =>
      parseDetectorLink({ destination: 'B', source: 'A', maxSeconds }, WIRE_FIELDS);
    const field = 'src_detectors[2].max_seconds';
    expectRejection(link(0), 'out_of_range', field, `is 0; ${SECONDS_RULE}`);
    expectRejection(link(86_401), 'out_of_range', field, `is 86401; ${SECONDS_RULE}`);
    expectRejection(link(-(2n ** 63n)), 'out_of_range', field, `is -9223372036854775808; ${SECONDS_RULE}`);
    expectRejection(link(1.5), 'not_integer', field, 'is 1.5, not a whole number');
    expectRejection(link(Number.NaN), 'not_finite', field, 'is NaN; expected a whole number');
  });

  it('rejects a detector linked to itself', () => {
    expectRejection(
      () => parseDetectorLink({ destination: 'A1', source: 'A1', maxSeconds: 600 }),
      'self_link',
      'source',
      'is the destination itself ("A1"); a detector cannot link to itself',
    );
  });

  it('keeps a minSeconds of 1..maxSeconds − 1, and leaves 0 or none to be derived', () => {
    const link = (minSeconds?: number | bigint) =>
      parseDetectorLink({ destination: 'B', source: 'A', maxSeconds: 600, minSeconds });
    expect(link(20)).toEqual({ destination: 'B', source: 'A', maxSeconds: 600, minSeconds: 20 });
    expect(link(599n).minSeconds).toBe(599);
    expect(link(1).minSeconds).toBe(1);
    expect(link(0)).not.toHaveProperty('minSeconds');
    expect(link(0n)).not.toHaveProperty('minSeconds');
    expect(link()).not.toHaveProperty('minSeconds');
  });

  it('rejects a minSeconds at or beyond maxSeconds, negative or fractional', () => {
    const fields = { ...WIRE_FIELDS, minSeconds: 'src_detectors[2].min_seconds' };
    const link = (minSeconds: number | bigint) => () =>
      parseDetectorLink({ destination: 'B', source: 'A', maxSeconds: 600, minSeconds }, fields);
    const rule =
      "a link's minimum travel time is 1 to 599 seconds (below its maximum of 600), or 0 to derive it from the link's length";
    expectRejection(link(600), 'out_of_range', 'src_detectors[2].min_seconds', `is 600; ${rule}`);
    expectRejection(link(-5n), 'out_of_range', 'src_detectors[2].min_seconds', `is -5; ${rule}`);
    expectRejection(link(2.5), 'not_integer', 'src_detectors[2].min_seconds', 'is 2.5, not a whole number');
  });
});
