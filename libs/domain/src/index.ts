export { ValidationError, type ValidationCode } from './validation-error';
export type { DetectorId } from './detector-id';
export { DEVICE_KINDS, type DeviceKind, type RawDeviceId, type Pseudonym } from './device';
export { NANOS_PER_SECOND, NANOS_PER_MILLISECOND, type UnixNanos } from './time';
export type { Sighting } from './sighting';
export type { Coordinates } from './coordinates';
export type { DetectorLink } from './detector-link';
export type { DetectorStatus } from './detector-status';
export type { TravelTimeEstimate, EstimateStatus } from './travel-time-estimate';
