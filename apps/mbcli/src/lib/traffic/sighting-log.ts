import { nanosToTimestamp, type DeviceKind } from '@message-bus/domain';
import { collector } from '@message-bus/proto';

/** One sighting as a detector reports it: an EventLog of one event with one time. */
export function sightingLog(
  detectorId: string,
  kind: DeviceKind,
  deviceId: string,
  unixNanos: bigint,
): collector.EventLog {
  return collector.EventLog.fromPartial({
    loc: { detectorId },
    events: [{ time: [nanosToTimestamp(unixNanos)], deviceId: { $case: kind, value: deviceId } }],
  });
}
