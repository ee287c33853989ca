import type { Timestamp } from './generated/google/protobuf/timestamp';

const NANOS_PER_SECOND = 1_000_000_000n;
const MAX_NANOS = 999_999_999;

/**
 * The instant of a wire Timestamp as nanoseconds since the Unix epoch, exactly: the
 * arithmetic stays in bigint because nanosecond times exceed 2^53.
 * @throws RangeError if `nanos` is not an integer in 0..999999999, as Timestamp requires.
 */
export function timestampToUnixNanos(timestamp: Timestamp): bigint {
  const { seconds, nanos } = timestamp;
  if (!Number.isInteger(nanos) || nanos < 0 || nanos > MAX_NANOS) {
    throw new RangeError(`Timestamp.nanos must be an integer in 0..${MAX_NANOS}, got ${nanos}`);
  }
  return seconds * NANOS_PER_SECOND + BigInt(nanos);
}

/** The wire Timestamp of an instant given in nanoseconds since the Unix epoch. */
export function unixNanosToTimestamp(unixNanos: bigint): Timestamp {
  // bigint division truncates toward zero; Timestamp wants floor, so that `nanos`
  // stays non-negative for instants before 1970 too.
  let seconds = unixNanos / NANOS_PER_SECOND;
  let nanos = unixNanos % NANOS_PER_SECOND;
  if (nanos < 0n) {
    seconds -= 1n;
    nanos += NANOS_PER_SECOND;
  }
  return { seconds, nanos: Number(nanos) };
}
