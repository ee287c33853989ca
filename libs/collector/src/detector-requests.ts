import {
  coordinatesFromFixed,
  parseDetectorId,
  parseDetectorLink,
  parseDetectorStatus,
  timestampToNanos,
  ValidationError,
  type DetectorId,
  type DetectorLink,
  type DetectorStatus,
  type EventTimeBounds,
} from '@message-bus/domain';
import type { collector } from '@message-bus/proto';
import type { DetectorCoordinates } from '@message-bus/repository';

/**
 * One link per source detector, all validated before any is returned: sources must
 * be distinct, at most `maxSources` of them, and none the destination itself.
 */
export function acceptDetectorLinks(request: collector.DetectorLink, maxSources: number): DetectorLink[] {
  const sources = request.srcDetectors;
  if (sources.length === 0) {
    throw new ValidationError('empty', 'src_detectors', 'is empty; name at least one source detector');
  }
  if (sources.length > maxSources) {
    throw new ValidationError(
      'out_of_range',
      'src_detectors',
      `lists ${sources.length} source detectors; the limit is ${maxSources} per request`,
    );
  }
  const indexOfSource = new Map<string, number>();
  return sources.map((source, index) => {
    const field = `src_detectors[${index}]`;
    const link = parseDetectorLink(
      {
        destination: request.destDetectorId,
        source: source.detectorId,
        maxSeconds: source.maxSeconds,
        minSeconds: source.minSeconds,
      },
      {
        destination: 'dest_detector_id',
        source: `${field}.detector_id`,
        maxSeconds: `${field}.max_seconds`,
        minSeconds: `${field}.min_seconds`,
      },
    );
    const earlier = indexOfSource.get(link.source);
    if (earlier !== undefined) {
      throw new ValidationError(
        'duplicate',
        `${field}.detector_id`,
        `repeats "${link.source}", already listed at src_detectors[${earlier}]`,
      );
    }
    indexOfSource.set(link.source, index);
    return link;
  });
}

/** The link a DeleteDetectorLink names; a self link is refused, as no such link can exist. */
export function acceptDetectorLinkDeletion(request: collector.DeleteDetectorLinkRequest): {
  destination: DetectorId;
  source: DetectorId;
} {
  const destination = parseDetectorId(request.destDetectorId, 'dest_detector_id');
  const source = parseDetectorId(request.srcDetectorId, 'src_detector_id');
  if (source === destination) {
    throw new ValidationError(
      'self_link',
      'src_detector_id',
      `is the destination itself ("${destination}"); a detector cannot link to itself`,
    );
  }
  return { destination, source };
}

export function acceptCoordinates(request: collector.Coordinates): DetectorCoordinates {
  return {
    detectorId: parseDetectorId(request.detectorId, 'detector_id'),
    coordinates: coordinatesFromFixed(request.latitude, request.longitude),
  };
}

/**
 * A status report stamped with its `time`, or with `bounds.now` (the receive time)
 * when the sender left `time` unset, as clients built for the original do.
 */
export function acceptDetectorStatus(
  request: collector.DetectorStatus,
  bounds: EventTimeBounds,
): DetectorStatus {
  if (request.loc === undefined) {
    throw new ValidationError(
      'empty',
      'loc',
      'is missing; a status report names its detector in loc.detector_id',
    );
  }
  const time = request.time === undefined ? bounds.now : timestampToNanos(request.time, 'time');
  return parseDetectorStatus(
    {
      detectorId: request.loc.detectorId,
      time,
      batteryVoltage: request.batteryVoltage,
      activeRadios: request.activeDetectors,
      detectionCounts: request.detectionCount,
      latitude: request.loc.latitude,
      longitude: request.loc.longitude,
    },
    {
      fields: {
        detectorId: 'loc.detector_id',
        time: 'time',
        batteryVoltage: 'battery_voltage',
        activeRadios: 'active_detectors',
        detectionCounts: 'detection_count',
        latitude: 'loc.latitude',
        longitude: 'loc.longitude',
      },
      timeBounds: bounds,
    },
  );
}
