import { timestampToNanos } from '@message-bus/domain';
import type { Timestamp } from '@message-bus/proto';
import { InputError } from '../input-error';
import { formatTimestamp, parseInstantFlag } from './time-format';

/**
 * `--after` (required) and `--before` (default now) as a range, refused in one line
 * when `--after` is not before `--before`.
 */
export function requiredRangeFlags(
  flags: { readonly after: string; readonly before?: string | undefined },
  nowMillis: number,
): { after: Timestamp; before: Timestamp } {
  const after = parseInstantFlag('after', flags.after);
  const before =
    flags.before === undefined
      ? { seconds: BigInt(Math.floor(nowMillis / 1000)), nanos: 0 }
      : parseInstantFlag('before', flags.before);
  if (timestampToNanos(after) >= timestampToNanos(before)) {
    throw new InputError(
      `--after ${formatTimestamp(after)} is not before --before ${formatTimestamp(before)}`,
    );
  }
  return { after, before };
}
