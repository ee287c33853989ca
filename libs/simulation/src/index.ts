export {
  DEFAULT_KIND_SHARES,
  DEFAULT_SIGHTINGS_PER_PASS,
  DEFAULT_STOPS,
  DEFAULT_TRAVEL_TIME_SPREAD,
  validateScenario,
  type CongestionEpisode,
  type DetectionSettings,
  type PassSettings,
  type RoadSegment,
  type Scenario,
  type SignalTiming,
  type ScenarioDetector,
  type ScenarioLink,
  type StopSettings,
  type TrafficFlow,
  type WeekendSettings,
} from './scenario';
export {
  incidentSlowdowns,
  validateDisruptions,
  type BatteryDrain,
  type ClockDrift,
  type DetectorOutage,
  type Disruptions,
  type Incident,
  type SegmentSlowdown,
} from './disruptions';
export {
  clockOffsetReachesAt,
  clockOffsetSecondsAt,
  incidentCongestion,
  originDestinationTruth,
  silentAt,
  weekBins,
  type LinkCongestion,
  type LinkCongestionOptions,
  type OriginDestinationTruth,
  type WeekBinTruth,
} from './disruption-truth';
export {
  BATTERY_NOISE_VOLTS,
  DAILY_BATTERY_SWING_VOLTS,
  NOMINAL_BATTERY_VOLTS,
  batteryLowAt,
  batteryVoltsAt,
  statusReports,
  type StatusReportOptions,
} from './status-reports';
export { isoDayOfWeek } from './timeline';
export {
  DEFAULT_URBAN_GRID_OPTIONS,
  GRID_MORNING_PEAK,
  urbanGridScenario,
  type UrbanGridOptions,
} from './urban-grid';
export { groundTruth, type GroundTruth, type LinkRef, type TruthLink } from './ground-truth';
export {
  simulate,
  type Journey,
  type JourneyPass,
  type SimulatedSighting,
  type Simulation,
  type SimulationOptions,
  type SimulationStats,
} from './simulate';
export { BUILTIN_SCENARIOS } from './builtin-scenarios';
export {
  DEFAULT_CORRIDOR_OPTIONS,
  EVENING_JAM,
  MORNING_JAM,
  WEEKDAY_PROFILE,
  WEEKEND_PROFILE,
  corridorScenario,
  type CorridorOptions,
} from './corridor';
export { arrivals, importedAt, type Arrival, type ArrivalPlan, type LateUploads } from './arrivals';
export { parseScenario, scenarioToJson, type ScenarioJson } from './parse-scenario';
export {
  SightingIndex,
  absolutePercentageErrors,
  scoreEstimator,
  summariseErrors,
  type ErrorSummary,
  type EstimatorReading,
  type ScoredInterval,
} from './replay';
