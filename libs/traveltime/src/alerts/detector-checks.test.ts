import type { Alert } from '@message-bus/domain';
import type { EventQuery } from '@message-bus/repository';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  alertWork,
  countingSightingReads,
  estimates,
  linksByDestination,
  minuteRounds,
  minutes,
  sightingsRead,
  type SightingReads,
} from '../../test/alert-work';
import { d1, d2, d3, LINKS, MINUTE, openCorridor, SECONDS, T0, type Corridor } from '../../test/corridor';
import type { AlertWork } from './alert-work';

let corridor: Corridor;
let reads: SightingReads;
beforeEach(async () => {
  // Three hours of traffic: d1 → d2 takes 120 s, d2 → d3 90 s.
  corridor = await openCorridor(3n);
  reads = { queries: [] };
  // The typical times say d2's clock ran 35 s ahead for the trips reaching it (or leaving
  // it) in minutes 105 to 145: into it 45 s longer than typical, out of it 35 s shorter.
  const skewed = minutes(106, 145);
  const normal = minutes(1, 185).filter((minute) => !skewed.includes(minute));
  await corridor.repository.travelTimes.put([
    ...estimates(d1, d2, skewed, { typical: 75, excess: () => 45 }),
    ...estimates(d1, d2, normal, { typical: 120, excess: () => 0 }),
    ...estimates(d2, d3, skewed, { typical: 125, excess: () => -35 }),
    ...estimates(d2, d3, normal, { typical: 90, excess: () => 0 }),
    ...estimates(d1, d3, minutes(1, 185), { typical: 210, excess: () => 0 }),
  ]);
});
afterEach(async () => {
  await corridor.close();
});

/** The detector checks of minutes `from` to `to` after T0, one a minute. */
function checkMinutes(
  work: AlertWork,
  from: number,
  to: number,
  afterCheck?: (minute: number) => Promise<void>,
): Promise<void> {
  const round = { held: [], linksByDestination: linksByDestination(LINKS), checksDetectors: true };
  return minuteRounds(work, from, to, round, afterCheck);
}

/** The clock skew's read: every linked detector's sightings at once. */
const isSkewRead = (query: EventQuery) => query.detectorIds.length === 3;

/** The minutes after T0 up to which the clock skew's reads went, in read order. */
function skewReadMinutes(): number[] {
  return reads.queries
    .filter(({ query }) => isSkewRead(query))
    .map(({ query }) => Number((query.range!.before! - 1n - T0) / MINUTE));
}

async function clockSkewAlerts(): Promise<Alert[]> {
  return corridor.repository.alerts.list({ kinds: ['clock_skew'] });
}

async function d2Offset(): Promise<number | undefined> {
  const health = await corridor.repository.detectorHealth.list();
  return health.find((entry) => entry.detectorId === d2)?.clockSkewSeconds;
}

describe('the clock skew check', () => {
  it('reads the skew window as of the interval ends on a 10-minute grid: under an eighth of reading it every check', async () => {
    const work = alertWork(countingSightingReads(corridor.repository, reads));
    // An hour of worker time: 60 checks.
    await checkMinutes(work, 120, 179);

    expect(skewReadMinutes()).toEqual([120, 130, 140, 150, 160, 170]);
    const skewRead = sightingsRead(reads, isSkewRead) / 6;
    // Every linked detector's 77 minutes (the hour, the longest link and a pass gap), ends
    // included, at 2 sightings a minute: 3 × 155.
    expect(skewRead).toBe(465);
    // The other checks read a few sightings each (newest sightings); reading the skew window
    // at every check, as before, read 60 of them an hour (28 020 sightings).
    expect(sightingsRead(reads)).toBeLessThan(60 * skewRead / 8);
  });

  it('raises and clears as of the grid points, and keeps an open alert and its offset in between', async () => {
    const work = alertWork(corridor.repository);
    const openAt: number[] = [];
    const offsets = new Map<number, number | undefined>();
    await checkMinutes(work, 120, 185, async (minute) => {
      if ((await clockSkewAlerts()).some((alert) => alert.end === undefined)) openAt.push(minute);
      offsets.set(minute, await d2Offset());
    });

    // Judged every check, the skew (the median over the hour before) would have been raised
    // at minute 135 and cleared at 175; as of every 10 minutes: at 140 and 180.
    expect(openAt).toEqual(minutes(140, 179));
    expect(await clockSkewAlerts()).toMatchObject([
      {
        subject: { kind: 'detector', detectorId: d2 },
        start: T0 + 140n * MINUTE + 30n * SECONDS,
        end: T0 + 180n * MINUTE + 30n * SECONDS,
        evidence: "Detector d2's links no longer show a clock offset.",
      },
    ]);
    expect(minutes(140, 179).map((minute) => offsets.get(minute))).toEqual(minutes(140, 179).map(() => 35));
    expect([offsets.get(139), offsets.get(180)]).toEqual([undefined, undefined]);
  });

  it('is judged again by a worker taking over the checks between two instants, with the same result', async () => {
    await checkMinutes(alertWork(corridor.repository), 120, 144);
    const raised = await clockSkewAlerts();
    expect(raised).toMatchObject([
      { start: T0 + 140n * MINUTE + 30n * SECONDS, figures: { offset_seconds: 35 } },
    ]);

    const takingOver = alertWork(countingSightingReads(corridor.repository, reads));
    await checkMinutes(takingOver, 145, 149);
    // It reads as of minute 140 once, and neither raises the open alert again nor clears it.
    expect(skewReadMinutes()).toEqual([140]);
    expect(await clockSkewAlerts()).toEqual(raised);
    expect(await d2Offset()).toBe(35);
  });
});
