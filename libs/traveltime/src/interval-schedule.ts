import { NANOS_PER_SECOND, type UnixNanos } from '@message-bus/domain';

/**
 * Interval arithmetic of the worker. Interval ends are multiples of the interval in unix
 * time (every minute on the minute for 60 s), so every worker, before and after a
 * restart, names the same intervals; the interval ending at T is due at T + lag.
 */
export class IntervalSchedule {
  readonly intervalNanos: bigint;
  readonly lagNanos: bigint;

  constructor(intervalSeconds: number, lagSeconds: number) {
    this.intervalNanos = BigInt(intervalSeconds) * NANOS_PER_SECOND;
    this.lagNanos = BigInt(lagSeconds) * NANOS_PER_SECOND;
  }

  /** The newest interval end that is due at `now`: the last multiple at or before now − lag. */
  lastDue(now: UnixNanos): UnixNanos {
    return this.floor(now - this.lagNanos);
  }

  /** When the interval after `lastDue(now)` becomes due. */
  nextDueAt(now: UnixNanos): UnixNanos {
    return this.lastDue(now) + this.intervalNanos + this.lagNanos;
  }

  /** The first interval end later than `time`. */
  firstEndAfter(time: UnixNanos): UnixNanos {
    return this.floor(time) + this.intervalNanos;
  }

  /** The first interval end at or after `time`. */
  firstEndAtOrAfter(time: UnixNanos): UnixNanos {
    const floor = this.floor(time);
    return floor === time ? time : floor + this.intervalNanos;
  }

  /** The last interval end at or before `time`. */
  lastEndAtOrBefore(time: UnixNanos): UnixNanos {
    return this.floor(time);
  }

  /** `count` intervals before `end`. */
  before(end: UnixNanos, count: number): UnixNanos {
    return end - BigInt(count) * this.intervalNanos;
  }

  /** How many interval ends lie in [from, to). */
  countBetween(from: UnixNanos, to: UnixNanos): number {
    return to <= from ? 0 : Number((to - from) / this.intervalNanos);
  }

  private floor(time: bigint): bigint {
    const remainder = time % this.intervalNanos;
    return remainder < 0n ? time - remainder - this.intervalNanos : time - remainder;
  }
}
