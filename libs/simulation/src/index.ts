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
  type ScenarioDetector,
  type ScenarioLink,
  type StopSettings,
  type TrafficFlow,
} from './scenario';
export { groundTruth, type GroundTruth, type LinkRef, type TruthLink } from './ground-truth';
export {
  simulate,
  type SimulatedSighting,
  type Simulation,
  type SimulationOptions,
  type SimulationStats,
} from './simulate';
export {
  BUILTIN_SCENARIOS,
  DEFAULT_CORRIDOR_OPTIONS,
  EVENING_JAM,
  MORNING_JAM,
  WEEKDAY_PROFILE,
  corridorScenario,
  type CorridorOptions,
} from './corridor';
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
