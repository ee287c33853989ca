import { describe, expect, it } from 'vitest';
import { collector, query } from './index';

/** 2^53 + 1: the smallest positive integer a JS number cannot hold. */
const beyondFloatPrecision = 9_007_199_254_740_993n;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('wire encoding', () => {
  it('round-trips an EventLog: exact timestamps, each kind of device id, negative coordinates', () => {
    const eventLog: collector.EventLog = {
      loc: { detectorId: 'gdansk-a1.n', latitude: 5_435_215n, longitude: -1_864_661n },
      events: [
        {
          time: [
            { seconds: 1_563_568_123n, nanos: 999_999_999 },
            { seconds: 1_563_568_124n, nanos: 1 },
          ],
          deviceId: { $case: 'wifi', value: 'a4:5e:60:e8:11:2f' },
        },
        { time: [{ seconds: 1_563_568_200n, nanos: 0 }], deviceId: { $case: 'bluetooth', value: 'bt-7' } },
        {
          time: [{ seconds: 1_563_568_300n, nanos: 5 }],
          deviceId: { $case: 'mobile', value: '260060123456789' },
        },
      ],
    };

    const decoded = collector.EventLog.decode(collector.EventLog.encode(eventLog).finish());

    expect(decoded).toEqual(eventLog);
    expect(decoded.events[0]?.time[0]).toEqual({ seconds: 1_563_568_123n, nanos: 999_999_999 });
    expect(decoded.events.map((event) => event.deviceId?.$case)).toEqual(['wifi', 'bluetooth', 'mobile']);
  });

  it('round-trips int64 map values and the report time beyond 2^53 exactly', () => {
    const status: collector.DetectorStatus = {
      loc: { detectorId: 'd1', latitude: 0n, longitude: 0n },
      activeDetectors: [collector.DEVICE.WIFI, collector.DEVICE.BLUETOOTH],
      batteryVoltage: 12.625,
      detectionCount: { [collector.DEVICE.WIFI]: beyondFloatPrecision, [collector.DEVICE.MOBILE]: 0n },
      time: { seconds: 1_563_568_123n, nanos: 456_789_012 },
    };

    const decoded = collector.DetectorStatus.decode(collector.DetectorStatus.encode(status).finish());

    expect(decoded).toEqual(status);
    expect(decoded.detectionCount[collector.DEVICE.WIFI]).toBe(beyondFloatPrecision);
    expect(decoded.time).toEqual({ seconds: 1_563_568_123n, nanos: 456_789_012 });
  });

  // Hand-encoded bytes: what any protobuf implementation, the original Go services
  // included, sends for these messages.
  it('writes the bytes the protobuf wire format prescribes', () => {
    const coordinates = collector.Coordinates.encode({
      detectorId: 'd1',
      latitude: 1n,
      longitude: -1n,
    }).finish();
    // field 1 (len) "d1"; field 2 (varint) 1; field 3 (varint) -1 as ten bytes of two's complement.
    expect(hex(coordinates)).toBe('0a0264311001' + '18' + 'ff'.repeat(9) + '01');

    const eventLog = collector.EventLog.encode({
      loc: undefined,
      events: [{ time: [], deviceId: { $case: 'mobile', value: 'm' } }],
    }).finish();
    // events is field 20 (tag 0xa2 0x01), holding field 4 (len) "m".
    expect(hex(eventLog)).toBe('a201' + '03' + '22016d');

    const request = query.GetEventsRequest.encode({
      detectorIds: ['x'],
      range: undefined,
      limit: beyondFloatPrecision,
    }).finish();
    // field 1 (len) "x"; field 3 (varint) 2^53 + 1.
    expect(hex(request)).toBe('0a0178' + '18' + '8180808080808010');
  });
});
