import { query } from '@message-bus/proto';
import { describe, expect, it } from 'vitest';
import { csvCells } from '../csv/csv-fields';
import {
  ALERT_CSV_COLUMNS,
  alertCells,
  alertRow,
  wireAlertKind,
  wireAlertSeverity,
} from './alert-rows';

describe('alertRow', () => {
  it('names the kind, severity and subject of an open alert', () => {
    const row = alertRow(
      query.Alert.fromPartial({
        id: 'c0ffee',
        kind: query.AlertKind.ALERT_KIND_CONGESTION,
        severity: query.AlertSeverity.ALERT_SEVERITY_WARNING,
        start: { seconds: 1_769_760_000n, nanos: 0 },
        updated: { seconds: 1_769_760_300n, nanos: 0 },
        subject: { $case: 'route', value: 'east' },
        evidence: 'travel time 412 s is 2.6x the typical 158 s for 4 of the last 5 intervals',
        figures: { ratio_to_typical: 2.6 },
      }),
    );
    expect(row).toEqual({
      id: 'c0ffee',
      kind: 'congestion',
      severity: 'warning',
      subject: 'route east',
      start: '2026-01-30T08:00:00.000000000Z',
      startUnixNanos: '1769760000000000000',
      end: null,
      endUnixNanos: null,
      open: true,
      updated: '2026-01-30T08:05:00.000000000Z',
      updatedUnixNanos: '1769760300000000000',
      evidence: 'travel time 412 s is 2.6x the typical 158 s for 4 of the last 5 intervals',
      figures: { ratio_to_typical: 2.6 },
    });
    expect(alertCells(row)).toEqual([
      '2026-01-30T08:00:00.000Z',
      'open',
      'warning',
      'congestion',
      'route east',
      'travel time 412 s is 2.6x the typical 158 s for 4 of the last 5 intervals',
    ]);
  });

  it('shows when a cleared alert ended, and a detector or link subject', () => {
    const row = alertRow(
      query.Alert.fromPartial({
        id: 'a1-silent',
        kind: query.AlertKind.ALERT_KIND_DETECTOR_SILENT,
        severity: query.AlertSeverity.ALERT_SEVERITY_CRITICAL,
        start: { seconds: 1_769_760_000n, nanos: 0 },
        end: { seconds: 1_769_763_600n, nanos: 0 },
        subject: { $case: 'detectorId', value: 'a1' },
        evidence: 'no sightings for 58 minutes',
      }),
    );
    expect(alertCells(row).slice(1, 5)).toEqual([
      'ended 2026-01-30T09:00:00.000Z',
      'critical',
      'detector silent',
      'detector a1',
    ]);
    expect(csvCells(row, ALERT_CSV_COLUMNS)).toEqual([
      'a1-silent',
      'detector_silent',
      'critical',
      'detector a1',
      '2026-01-30T08:00:00.000000000Z',
      '1769760000000000000',
      '2026-01-30T09:00:00.000000000Z',
      '1769763600000000000',
      '',
      '',
      'no sightings for 58 minutes',
    ]);
    const link = alertRow(
      query.Alert.fromPartial({
        subject: { $case: 'link', value: { sourceDetectorId: 'a1', destDetectorId: 'b1' } },
      }),
    );
    expect(link.subject).toBe('link a1 → b1');
    expect(link.kind).toBe('unspecified');
  });

  it('maps the flag names to the wire numbers', () => {
    expect(wireAlertKind('congestion')).toBe(query.AlertKind.ALERT_KIND_CONGESTION);
    expect(wireAlertKind('never_matches')).toBe(query.AlertKind.ALERT_KIND_NEVER_MATCHES);
    expect(wireAlertSeverity('info')).toBe(query.AlertSeverity.ALERT_SEVERITY_INFO);
    expect(wireAlertSeverity('critical')).toBe(query.AlertSeverity.ALERT_SEVERITY_CRITICAL);
  });
});
