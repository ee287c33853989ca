import {
  parseDetectorId,
  parseEventTime,
  parseRawDeviceId,
  timestampToNanos,
  ValidationError,
  type DetectorId,
  type DeviceKind,
  type Pseudonymiser,
  type RawDeviceId,
  type Sighting,
  type UnixNanos,
} from '@message-bus/domain';
import type { collector } from '@message-bus/proto';

/** Sightings per device kind, as StreamEventLog answers them. */
export type SightingCounts = Record<DeviceKind, number>;

/** Every reason a log is refused for: the `reason` label of `message_bus_sightings_rejected_total`. */
export const REJECTION_REASONS = [
  'missing_detector',
  'invalid_detector_id',
  'empty_log',
  'too_many_sightings',
  'missing_device_id',
  'invalid_device_id',
  'missing_time',
  'invalid_time',
] as const;

/** Why a log was refused, the `reason` label of the rejected-sightings metric. */
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/**
 * A refused event log: a `ValidationError` (so the gRPC edge answers INVALID_ARGUMENT
 * with its message) that also says why for metrics and how many sightings it held.
 */
export class EventLogRejection extends ValidationError {
  constructor(
    readonly reason: RejectionReason,
    /** Sightings (event × time pairs) in the refused log. */
    readonly sightingCount: number,
    cause: ValidationError,
  ) {
    super(cause.code, cause.field, bareMessage(cause));
  }

  /** The same rejection with its field placed in a larger request, e.g. `log 12: events[3].time[0]`. */
  within(position: string): EventLogRejection {
    const located = new ValidationError(this.code, `${position}: ${this.field}`, bareMessage(this));
    return new EventLogRejection(this.reason, this.sightingCount, located);
  }
}

/** A log that passed validation, its device ids already replaced by pseudonyms. */
export interface AcceptedEventLog {
  readonly detectorId: DetectorId;
  readonly sightings: readonly Sighting[];
  readonly counts: SightingCounts;
}

export interface EventLogRules {
  readonly pseudonymiser: Pseudonymiser;
  /** The receiver's clock when the log arrived. */
  readonly now: UnixNanos;
  /** How far ahead of `now` a sighting may be. */
  readonly maxAheadSeconds: number;
  /** How far behind `now` a sighting may be; unset: any age. */
  readonly maxAgeSeconds?: number;
  /** Most sightings (event × time pairs) in one log. */
  readonly maxSightingsPerLog: number;
}

interface ValidEvent {
  readonly kind: DeviceKind;
  readonly rawId: RawDeviceId;
  readonly times: readonly UnixNanos[];
}

/**
 * Validates the whole log before anything else happens to it, then replaces every raw
 * device id by its pseudonym (with the previous period's too inside a rotation
 * overlap). The raw ids are not part of the result: nothing after this sees them.
 * @throws EventLogRejection naming the first invalid part, e.g. `events[3].time[0]`.
 */
export function acceptEventLog(log: collector.EventLog, rules: EventLogRules): AcceptedEventLog {
  const sightingCount = log.events.reduce((total, event) => total + event.time.length, 0);
  const reject = (reason: RejectionReason, error: ValidationError): EventLogRejection =>
    new EventLogRejection(reason, sightingCount, error);

  if (log.loc === undefined) {
    throw reject(
      'missing_detector',
      new ValidationError('empty', 'loc', 'is missing; a log names its detector in loc.detector_id'),
    );
  }
  const detectorId = check('invalid_detector_id', reject, () =>
    parseDetectorId(log.loc?.detectorId ?? '', 'loc.detector_id'),
  );
  if (log.events.length === 0) {
    throw reject(
      'empty_log',
      new ValidationError(
        'empty',
        'events',
        `is empty; a log carries 1 to ${rules.maxSightingsPerLog} sightings`,
      ),
    );
  }
  if (sightingCount > rules.maxSightingsPerLog) {
    throw reject(
      'too_many_sightings',
      new ValidationError(
        'out_of_range',
        'events',
        `hold ${sightingCount} sightings (one per event and time); the limit is ${rules.maxSightingsPerLog} per log`,
      ),
    );
  }
  const { now, maxAheadSeconds, maxAgeSeconds } = rules;
  const bounds = { now, maxAheadSeconds, ...(maxAgeSeconds === undefined ? {} : { maxAgeSeconds }) };
  const events = log.events.map((event, index): ValidEvent => {
    const field = `events[${index}]`;
    const { deviceId } = event;
    if (deviceId === undefined) {
      throw reject(
        'missing_device_id',
        new ValidationError('empty', field, 'device id missing: set one of wifi, bluetooth, mobile'),
      );
    }
    const rawId = check('invalid_device_id', reject, () =>
      parseRawDeviceId(deviceId.value, `${field}.${deviceId.$case}`),
    );
    if (event.time.length === 0) {
      throw reject(
        'missing_time',
        new ValidationError('empty', `${field}.time`, 'is empty; an event needs at least one time'),
      );
    }
    const times = event.time.map((timestamp, timeIndex) => {
      const timeField = `${field}.time[${timeIndex}]`;
      return check('invalid_time', reject, () =>
        parseEventTime(timestampToNanos(timestamp, timeField), bounds, timeField),
      );
    });
    return { kind: deviceId.$case, rawId, times };
  });
  return pseudonymise(detectorId, events, rules.pseudonymiser);
}

function pseudonymise(
  detectorId: DetectorId,
  events: readonly ValidEvent[],
  pseudonymiser: Pseudonymiser,
): AcceptedEventLog {
  const sightings: Sighting[] = [];
  const counts = emptyCounts();
  for (const { kind, rawId, times } of events) {
    for (const time of times) {
      const { current, previous } = pseudonymiser.pseudonymsAt(kind, rawId, time);
      sightings.push(
        previous === undefined
          ? { detectorId, deviceId: current, time }
          : { detectorId, deviceId: current, time, previousDeviceId: previous },
      );
    }
    counts[kind] += times.length;
  }
  return { detectorId, sightings, counts };
}

export function emptyCounts(): SightingCounts {
  return { wifi: 0, bluetooth: 0, mobile: 0 };
}

/** Runs a domain parser, turning its ValidationError into a rejection with `reason`. */
function check<T>(
  reason: RejectionReason,
  reject: (reason: RejectionReason, error: ValidationError) => EventLogRejection,
  parse: () => T,
): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ValidationError) throw reject(reason, error);
    throw error;
  }
}

/** A ValidationError's message without the `field: ` its constructor put in front. */
function bareMessage(error: ValidationError): string {
  const prefix = `${error.field}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}
