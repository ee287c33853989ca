import type { UnixNanos } from '@message-bus/domain';
import { InputError } from '../input-error';

const NANOS_PER_MILLI = 1_000_000n;
const NANOS_PER_SECOND = 1_000_000_000n;

export interface TrafficPlan {
  /** The first simulated instant (Unix nanoseconds). */
  readonly start: bigint;
  readonly durationSeconds: number;
  /** Simulated seconds per wall-clock second; undefined for a backfill (as fast as the collector takes it). */
  readonly speed: number | undefined;
}

/**
 * When a scenario run is simulated. Real time (speed 1) starts now; anything faster,
 * or a backfill, ends by now unless `--start` says otherwise, so no sighting lies in
 * the future.
 */
export function trafficPlan(input: {
  start?: UnixNanos | undefined;
  durationSeconds: number;
  speed: number;
  backfill: boolean;
  nowMillis: number;
}): TrafficPlan {
  if (!Number.isFinite(input.speed) || input.speed <= 0) {
    throw new InputError(
      `--speed ${input.speed} is not a speed; give simulated seconds per second, more than 0`,
    );
  }
  if (!Number.isFinite(input.durationSeconds) || input.durationSeconds <= 0) {
    throw new InputError(
      `--duration ${input.durationSeconds} is not a duration; give simulated seconds, more than 0`,
    );
  }
  const now = BigInt(input.nowMillis) * NANOS_PER_MILLI;
  const runsAhead = input.backfill || input.speed > 1;
  const start =
    input.start ?? (runsAhead ? now - BigInt(Math.round(input.durationSeconds)) * NANOS_PER_SECOND : now);
  return { start, durationSeconds: input.durationSeconds, speed: input.backfill ? undefined : input.speed };
}

/** Milliseconds to wait before sending a sighting of simulated time `time`, at the plan's speed, starting at wall time `wallStartMillis`. */
export function delayUntil(
  plan: TrafficPlan,
  wallStartMillis: number,
  time: bigint,
  nowMillis: number,
): number {
  if (plan.speed === undefined) return 0;
  const simulatedMillis = Number((time - plan.start) / NANOS_PER_MILLI);
  return wallStartMillis + simulatedMillis / plan.speed - nowMillis;
}
