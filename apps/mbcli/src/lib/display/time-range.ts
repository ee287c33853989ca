import { timestampToNanos } from '@message-bus/domain';
import type { Timestamp } from '@message-bus/proto';
import { InputError } from '../input-error';
import { formatTimestamp } from './time-format';

/**
 * `--after` (required) and `--before` (default now) as a range, refused in one line
 * when `--after` is not before `--before`.
 */
export function requiredRangeFlags(
  flags: { readonly after: Timestamp; readonly before?: Timestamp | undefined },
  nowMillis: number,
): { after: Timestamp; before: Timestamp } {
  const { after } = flags;
  const before = flags.before ?? { seconds: BigInt(Math.floor(nowMillis / 1000)), nanos: 0 };
  if (timestampToNanos(after) >= timestampToNanos(before)) {
    throw new InputError(
      `--after ${formatTimestamp(after)} is not before --before ${formatTimestamp(before)}`,
    );
  }
  return { after, before };
}
