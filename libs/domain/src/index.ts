export { ValidationError, type ValidationCode } from './validation-error';
export {
  DETECTOR_ID_MAX_LENGTH,
  detectorIdProblem,
  parseDetectorId,
  type DetectorId,
  type DetectorIdProblem,
} from './ids/detector-id';
export {
  DEVICE_KINDS,
  RAW_DEVICE_ID_MAX_LENGTH,
  deviceKindToWire,
  parseDeviceKind,
  parseRawDeviceId,
  type DeviceKind,
  type DeviceWireValue,
  type Pseudonym,
  type RawDeviceId,
} from './ids/device';
export {
  EARLIEST_EVENT_TIME,
  NANOS_PER_MILLISECOND,
  NANOS_PER_SECOND,
  formatNanosDecimal,
  formatNanosIso,
  nanosToTimestamp,
  parseEventTime,
  parseNanosDecimal,
  timestampToNanos,
  type EventTimeBounds,
  type Timestamp,
  type UnixNanos,
} from './time';
export type { Sighting } from './sighting';
export {
  COORDINATE_UNITS_PER_DEGREE,
  EARTH_MEAN_RADIUS_METERS,
  coordinatesFromDegrees,
  coordinatesFromFixed,
  coordinatesToDegrees,
  distanceMeters,
  type CoordinateFields,
  type Coordinates,
} from './coordinates';
export {
  MAX_LINK_SECONDS,
  parseDetectorLink,
  type DetectorLink,
  type DetectorLinkFields,
  type DetectorLinkInput,
} from './detector-link';
export {
  MAX_BATTERY_VOLTAGE,
  parseDetectorStatus,
  type DetectorStatus,
  type DetectorStatusFields,
  type DetectorStatusInput,
  type DetectorStatusOptions,
} from './detector-status';
export {
  ESTIMATE_STATUSES,
  type TravelTimeEstimate,
  type EstimateStatus,
} from './estimator/travel-time-estimate';
export {
  MIN_MASTER_SECRET_BYTES,
  NEVER_ROTATING_PERIOD_START,
  Pseudonymiser,
  type PseudonymiserOptions,
  type PseudonymsAt,
  type RotationPolicy,
} from './privacy/pseudonymiser';
export { MIN_PRIVACY_KEY_BYTES, decodePrivacyKey, privacyKeyProblem } from './privacy/privacy-key';
export {
  DEFAULT_ESTIMATOR_CONFIG,
  TRAVEL_TIME_MEASURES,
  resolveEstimatorConfig,
  type EstimatorConfig,
  type TravelTimeMeasure,
} from './estimator/estimator-config';
export { median, mean, percentile, percentileOfSorted } from './estimator/percentiles';
export { collapsePasses, type Pass } from './estimator/passes';
export { matchPasses, type MatchOptions, type TravelSample } from './estimator/pass-matching';
export { MAD_SCALE, filterTravelTimes, type FilteredTravelTimes } from './estimator/sample-filter';
export { linkSamples, type LinkEstimateInput, type LinkSamples } from './estimator/link-samples';
export {
  estimateLink,
  minimumTravelSeconds,
  summariseEstimate,
  type EstimateParts,
} from './estimator/travel-time-estimator';
export {
  MAX_ROUTE_DETECTORS,
  parseRoute,
  parseRouteName,
  routeLinks,
  type Route,
  type RouteInput,
  type RouteName,
} from './traffic/route';
export { trafficTargetKey, type TrafficTarget } from './traffic/traffic-target';
export {
  CONGESTION_LEVELS,
  type CongestionFigures,
  type CongestionLevel,
  type RouteEstimateMethod,
} from './traffic/congestion';
export type { TypicalBin, TypicalProfile } from './traffic/typical-profile';
export {
  ALERT_KINDS,
  ALERT_SEVERITIES,
  type Alert,
  type AlertKind,
  type AlertSeverity,
  type AlertSubject,
} from './traffic/alert';
export type { DetectorHealth } from './traffic/detector-health';
export {
  DEFAULT_TRIP_GAP_SECONDS,
  TripCounter,
  originDestination,
  type OriginDestinationCell,
  type OriginDestinationMatrix,
} from './traffic/origin-destination';
export { reliabilityOf, type ReliabilityFigures } from './traffic/reliability';
export {
  DEFAULT_BIN_MINUTES,
  DEFAULT_TIME_ZONE,
  TimeOfWeekBins,
  timeZoneFormat,
  type WeekBin,
} from './traffic/time-of-week';
export {
  DEFAULT_PROFILE_WEEKS,
  FREE_FLOW_PERCENTILE,
  MIN_TYPICAL_BIN_SAMPLES,
  MIN_TYPICAL_HISTORY_SECONDS,
  buildTypicalProfile,
  typicalBinAt,
  typicalHistorySeconds,
  windowMiddle,
  type TypicalProfileOptions,
} from './traffic/typical-profile-builder';
export {
  DEFAULT_CONGESTION_THRESHOLDS,
  congestionFigures,
  levelOf,
  resolveCongestionThresholds,
  withCongestionFigures,
  type CongestionOptions,
  type CongestionThresholds,
} from './traffic/congestion-figures';
export {
  estimateRoute,
  routeLink,
  sumOfLinkEstimates,
  type RouteEstimateInput,
} from './traffic/route-estimate';
export { alertId, alertSubjectKey } from './traffic/alert-id';
export { SEVERITY_RANK, worseSeverity, type AlertChange } from './traffic/alert-change';
export {
  DEFAULT_CONGESTION_ALERT_RULE,
  SEVERITY_OF_LEVEL,
  judgeCongestion,
  resolveCongestionAlertRule,
  type CongestionAlertRule,
  type CongestionJudgement,
} from './traffic/alert-congestion';
export {
  DEFAULT_DETECTOR_HEALTH_RULE,
  resolveDetectorHealthRule,
  type DetectorHealthRule,
} from './traffic/detector-health-rule';
export {
  expectedDevices,
  silenceReferences,
  type SilenceReferences,
  type SilenceSpan,
} from './traffic/detector-health-silence';
export {
  BATTERY_PAIR_TOLERANCE_SECONDS,
  judgeBattery,
  type BatteryJudgement,
  type BatteryReading,
} from './traffic/detector-health-battery';
export {
  estimateClockSkew,
  tripExcesses,
  type ClockSkewJudgement,
} from './traffic/detector-health-clock-skew';
export { neverMatches, type MatchCounts } from './traffic/detector-health-never-matches';
export { judgeDetector, type DetectorFacts, type DetectorJudgement } from './traffic/detector-health-judge';
