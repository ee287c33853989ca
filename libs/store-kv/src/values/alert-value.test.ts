import type { Alert, DetectorId, RouteName } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { describe, expect, it } from 'vitest';
import { decodeAlertValue, encodeAlertValue } from './alert-value';

const id = '01DG9MPNJB0000000000000001';
const alert: Alert = {
  id,
  kind: 'congestion',
  severity: 'warning',
  subject: { kind: 'link', source: 'a' as DetectorId, destination: 'b' as DetectorId },
  start: 1563691800139000000n,
  end: 1563692800000000000n,
  updated: 1563692800000000000n,
  evidence: 'a→b takes 2.6× its typical time',
  figures: { ratio_to_typical: 2.6 },
};

describe('alert value', () => {
  it('writes JSON with exact nanoseconds (golden) and reads it back exactly', () => {
    const bytes = encodeAlertValue(alert);
    expect(Buffer.from(bytes).toString()).toBe(
      '{"kind":"congestion","severity":"warning","subject":{"kind":"link","source":"a","destination":"b"},' +
        '"start":"1563691800139000000","end":"1563692800000000000","updated":"1563692800000000000",' +
        '"evidence":"a→b takes 2.6× its typical time","figures":{"ratio_to_typical":2.6}}',
    );
    expect(decodeAlertValue(bytes, id)).toStrictEqual({ ok: true, value: alert });
  });

  it('round-trips open alerts on routes and detectors', () => {
    const { end: _open, ...onRoute } = {
      ...alert,
      subject: { kind: 'route', route: 'north' as RouteName },
    } as const;
    expect(decodeAlertValue(encodeAlertValue(onRoute), id)).toStrictEqual({ ok: true, value: onRoute });
    const onDetector: Alert = {
      ...alert,
      kind: 'battery_low',
      subject: { kind: 'detector', detectorId: 'd' as DetectorId },
    };
    expect(decodeAlertValue(encodeAlertValue(onDetector), id)).toStrictEqual({ ok: true, value: onDetector });
  });

  it('refuses what cannot be stored, naming the field', () => {
    expect(() => encodeAlertValue({ ...alert, severity: 'dire' as never }, 'alerts[2]')).toThrow(
      new StoreInvalidArgumentError('alerts[2].severity: "dire" is not one of info, warning, critical'),
    );
    expect(() => encodeAlertValue({ ...alert, end: alert.start - 1n })).toThrow(
      /^alert\.end: .* is before its start/,
    );
    expect(() => encodeAlertValue({ ...alert, figures: { ratio: Number.NaN } })).toThrow(
      'alert.figures.ratio: NaN is not a finite number',
    );
    expect(() =>
      encodeAlertValue({ ...alert, subject: { kind: 'detector', detectorId: 'd/1' as DetectorId } }),
    ).toThrow(/^alert\.subject\.detectorId/);
  });

  it('rejects malformed values with a reason', () => {
    const text = Buffer.from(encodeAlertValue(alert)).toString();
    expect(decodeAlertValue(Buffer.from(text.replace('"kind":"link"', '"kind":"lane"')), id)).toEqual({
      ok: false,
      reason: `value's subject.kind "lane" is not link, route or detector`,
    });
    expect(decodeAlertValue(Buffer.from(text.replace(/"updated":"[0-9]+",/, '')), id)).toEqual({
      ok: false,
      reason: "value's updated is missing",
    });
  });
});
