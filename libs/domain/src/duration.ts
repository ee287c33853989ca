import { NANOS_PER_SECOND } from './time';

// Conversions between the estimator's seconds (numbers) and instants (bigint nanoseconds).
// Internal: not exported from index.ts.

/** Seconds, possibly fractional, as whole nanoseconds (rounded to the nearest). */
export function secondsToNanos(seconds: number): bigint {
  return BigInt(Math.round(seconds * 1e9));
}

/**
 * A span of nanoseconds as seconds. The whole seconds and the fraction are converted
 * apart, so an instant's ~1.8e18 nanoseconds never pass through a JS number at once.
 */
export function nanosToSeconds(nanos: bigint): number {
  const whole = nanos / NANOS_PER_SECOND;
  return Number(whole) + Number(nanos - whole * NANOS_PER_SECOND) / 1e9;
}
