/**
 * An instant as unix nanoseconds. Nanoseconds exceed 2^53, so they are `bigint`
 * everywhere and never pass through a JS `number`.
 */
export type UnixNanos = bigint;

export const NANOS_PER_SECOND = 1_000_000_000n;
export const NANOS_PER_MILLISECOND = 1_000_000n;
