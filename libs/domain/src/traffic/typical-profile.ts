import type { UnixNanos } from '../time';
import type { TrafficTarget } from './traffic-target';

/** One bin of the week in a profile's time zone. */
export interface TypicalBin {
  /** ISO day of week: 1 = Monday … 7 = Sunday. */
  readonly dayOfWeek: number;
  /** Start of the bin in minutes after local midnight. */
  readonly minuteOfDay: number;
  readonly medianSeconds: number;
  readonly p15Seconds: number;
  readonly p85Seconds: number;
  /** Estimates the bin was computed from, over every week used. */
  readonly samples: number;
}

/** The typical travel time of a link or route by time of week, from its last `weeks` weeks of estimates. */
export interface TypicalProfile {
  readonly target: TrafficTarget;
  readonly computedAt: UnixNanos;
  readonly weeks: number;
  readonly binMinutes: number;
  /** IANA time zone of the bins, e.g. `Europe/Warsaw`. */
  readonly timeZone: string;
  /** A low percentile of every estimate over the period; absent without data. */
  readonly freeFlowSeconds?: number;
  /** Bins that had data, by day of week then minute. */
  readonly bins: readonly TypicalBin[];
}
