import { Pseudonymiser, type DeviceKind, type UnixNanos } from '@message-bus/domain';
import { describe, expect, it } from 'vitest';
import { eventLog, NOW, SECOND } from '../test/collector-harness';
import { acceptEventLog, EventLogRejection, type EventLogRules } from './event-log';

const rules: EventLogRules = {
  pseudonymiser: new Pseudonymiser({
    masterSecret: new Uint8Array(32).fill(3),
    rotation: { kind: 'never' },
    overlapSeconds: 0,
  }),
  now: NOW,
  maxAheadSeconds: 300,
  maxSightingsPerLog: 5,
};
const EARLIEST: UnixNanos = 946_684_800n * SECOND;

function rejectionOf(run: () => unknown): EventLogRejection {
  try {
    run();
  } catch (error) {
    if (error instanceof EventLogRejection) return error;
    throw error;
  }
  throw new Error('accepted; a rejection was expected');
}

describe('acceptEventLog', () => {
  it('turns every (event, time) pair into a pseudonymous sighting and counts them per kind', () => {
    const events: { kind: DeviceKind; id: string; times: UnixNanos[] }[] = [
      { kind: 'wifi', id: 'aa:bb:cc:dd:ee:ff', times: [EARLIEST, NOW + 300n * SECOND] },
      { kind: 'mobile', id: '260011234567890', times: [NOW] },
    ];
    const accepted = acceptEventLog(eventLog('det-1', events), rules);

    const wifi = rules.pseudonymiser.pseudonymsAt('wifi', 'aa:bb:cc:dd:ee:ff' as never, NOW).current;
    const mobile = rules.pseudonymiser.pseudonymsAt('mobile', '260011234567890' as never, NOW).current;
    expect(accepted).toEqual({
      detectorId: 'det-1',
      sightings: [
        { detectorId: 'det-1', deviceId: wifi, time: EARLIEST },
        { detectorId: 'det-1', deviceId: wifi, time: NOW + 300n * SECOND },
        { detectorId: 'det-1', deviceId: mobile, time: NOW },
      ],
      counts: { wifi: 2, bluetooth: 0, mobile: 1 },
    });
  });

  it('refuses the log at the first invalid part, saying why, where and how many sightings it held', () => {
    const log = eventLog('det-1', [
      { kind: 'wifi', id: 'a', times: [NOW] },
      { kind: 'bluetooth', id: 'b', times: [NOW, NOW + 300n * SECOND + 1n] },
    ]);
    const rejection = rejectionOf(() => acceptEventLog(log, rules));
    expect(rejection).toMatchObject({ reason: 'invalid_time', sightingCount: 3, code: 'out_of_range' });
    expect(rejection.field).toBe('events[1].time[1]');
    expect(rejection.message).toBe(
      'events[1].time[1]: 2023-11-14T22:18:20.000000001Z is 300.000000001 s ahead of now ' +
        '(2023-11-14T22:13:20.000000000Z); at most 300 s is accepted',
    );
  });

  it('places a rejection within a stream by its position', () => {
    const log = eventLog('det-1', [{ kind: 'mobile', id: 'x', times: Array.from({ length: 6 }, () => NOW) }]);
    const located = rejectionOf(() => acceptEventLog(log, rules)).within('log 12');
    expect(located).toMatchObject({
      reason: 'too_many_sightings',
      sightingCount: 6,
      field: 'log 12: events',
    });
    expect(located.message).toBe(
      'log 12: events: hold 6 sightings (one per event and time); the limit is 5 per log',
    );
  });
});
