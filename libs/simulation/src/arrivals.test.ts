import { NANOS_PER_SECOND, parseDetectorId } from '@message-bus/domain';
import { describe, expect, it } from 'vitest';
import { arrivals, importedAt } from './arrivals';

const a = parseDetectorId('a');
const late = parseDetectorId('late');
const at = (seconds: number) => BigInt(seconds) * NANOS_PER_SECOND;
const seen = (detectorId: typeof a, seconds: number) => ({ detectorId, time: at(seconds) });

describe('arrivals', () => {
  it('sends online detectors batch by batch, and a late uploader at its next upload', () => {
    const sightings = [seen(a, 1), seen(late, 2), seen(a, 12), seen(a, 20), seen(late, 7300)];
    const plan = arrivals(sightings, {
      batchSeconds: 10,
      lateUploads: [{ detectorId: late, uploadEverySeconds: 7200 }],
    });
    expect(plan).toEqual([
      { at: at(10), sightings: [seen(a, 1)] },
      { at: at(20), sightings: [seen(a, 12), seen(a, 20)] },
      { at: at(7200), sightings: [seen(late, 2)] },
      { at: at(14_400), sightings: [seen(late, 7300)] },
    ]);
  });

  it('refuses a period that is not a whole number of seconds', () => {
    expect(() => arrivals([], { batchSeconds: 0.5 })).toThrow('batchSeconds');
  });
});

describe('importedAt', () => {
  it('sends everything at once, in time order, in batches of the given size', () => {
    const plan = importedAt([seen(a, 3), seen(a, 1), seen(a, 2)], at(100), 2);
    expect(plan).toEqual([
      { at: at(100), sightings: [seen(a, 1), seen(a, 2)] },
      { at: at(100), sightings: [seen(a, 3)] },
    ]);
  });
});
