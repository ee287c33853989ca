import type { DetectorId } from '../ids/detector-id';
import type { UnixNanos } from '../time';
import type { RouteName } from './route';

/** The wire enum's order (1..5). */
export type AlertKind = 'congestion' | 'detector_silent' | 'battery_low' | 'clock_skew' | 'never_matches';
export const ALERT_KINDS: readonly AlertKind[] = [
  'congestion',
  'detector_silent',
  'battery_low',
  'clock_skew',
  'never_matches',
];

/** The wire enum's order (1..3). */
export type AlertSeverity = 'info' | 'warning' | 'critical';
export const ALERT_SEVERITIES: readonly AlertSeverity[] = ['info', 'warning', 'critical'];

export type AlertSubject =
  | { readonly kind: 'link'; readonly source: DetectorId; readonly destination: DetectorId }
  | { readonly kind: 'route'; readonly route: RouteName }
  | { readonly kind: 'detector'; readonly detectorId: DetectorId };

/**
 * One alert, open from `start` until `end` is set. Its `id` is stable for the condition
 * (derived from kind, subject and start), so a worker that takes over, or a retried
 * write, updates the same alert instead of raising a second.
 */
export interface Alert {
  readonly id: string;
  readonly kind: AlertKind;
  /** The worst severity reached so far. */
  readonly severity: AlertSeverity;
  readonly subject: AlertSubject;
  readonly start: UnixNanos;
  readonly end?: UnixNanos;
  /** When it last changed. */
  readonly updated: UnixNanos;
  /** One sentence a person reads. */
  readonly evidence: string;
  /** The evidence's figures by name, e.g. `{ ratio_to_typical: 2.6 }`. */
  readonly figures: Readonly<Record<string, number>>;
}
