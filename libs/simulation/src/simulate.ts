import {
  DEVICE_KINDS,
  NANOS_PER_MILLISECOND,
  NANOS_PER_SECOND,
  type DetectorId,
  type DeviceKind,
  type RawDeviceId,
  type UnixNanos,
} from '@message-bus/domain';
import { incidentSlowdowns, type Disruptions } from './disruptions';
import {
  compileSegments,
  groundTruth,
  secondOfDay,
  signalWaitSeconds,
  type GroundTruth,
} from './ground-truth';
import { checkNumber } from './number-rules';
import { Random } from './random';
import { pairKey, SECONDS_PER_DAY, type Scenario } from './scenario';
import { Timeline, type CompiledSegment } from './timeline';

/** A detector seeing a device, as the detector would report it (its own clock, the raw identifier). */
export interface SimulatedSighting {
  readonly detectorId: DetectorId;
  readonly kind: DeviceKind;
  readonly rawDeviceId: RawDeviceId;
  readonly time: UnixNanos;
}

/** What happened on the road besides the sightings, for checking the simulation itself. */
export interface SimulationStats {
  /** Vehicles that entered the road during the simulated span. */
  readonly vehicles: number;
  /** Of those, the ones carrying a device the detectors see. */
  readonly detectedVehicles: number;
  /** Segment traversals by those detected vehicles, and how many of them stopped or detoured. */
  readonly traversals: number;
  readonly stoppedTraversals: number;
}

/** One detected vehicle's passes, as its detectors reported them: who truly went where. */
export interface Journey {
  readonly kind: DeviceKind;
  readonly rawDeviceId: RawDeviceId;
  /** In time order; only passes with at least one sighting reported in the span. */
  readonly passes: readonly JourneyPass[];
}

export interface JourneyPass {
  readonly detectorId: DetectorId;
  /** Its sightings' times (the detector's clock), in order. */
  readonly times: readonly UnixNanos[];
}

export interface Simulation {
  /** Sorted by time (ties keep generation order). */
  readonly sightings: SimulatedSighting[];
  readonly truth: GroundTruth;
  readonly stats: SimulationStats;
  /** Every detected vehicle seen in the span, in order of its first sighting. */
  readonly journeys: readonly Journey[];
}

export interface SimulationOptions {
  /** Any safe integer; the same scenario, seed, start and duration always give the same sightings. */
  readonly seed: number;
  /** The first instant simulated; times of day in the scenario are UTC. */
  readonly start: UnixNanos;
  /** How much time to simulate (sightings fall in [start, start + durationSeconds)). */
  readonly durationSeconds: number;
  /** Incidents, outages, drifting clocks and holidays of the span; none by default. */
  readonly disruptions?: Disruptions;
}

/** The longest span simulated at once: a leap year. */
const MAX_DURATION_SECONDS = 366 * SECONDS_PER_DAY;
/** Detector clocks in the simulation resolve milliseconds. */
const MILLISECONDS_PER_SECOND = 1000;
/** Lognormal spread beyond three sigma is rare enough to ignore when sizing the warm-up. */
const SPREAD_SIGMAS_IN_WARM_UP = 3;

/**
 * Simulates traffic on a scenario's road: vehicles enter along each flow (a
 * non-homogeneous Poisson process following the daily profile), a share of them carry
 * a detectable device, and each traversal of a segment takes the true travel time at
 * entry times lognormal noise, plus the wait at a signal where the segment has one, plus
 * a stop or detour delay for the affected share.
 * Vehicles enter from a warm-up period before `start`, so the road is already busy
 * at `start`. Pure: no clock, no I/O, randomness only from `seed`.
 */
export function simulate(scenario: Scenario, options: SimulationOptions): Simulation {
  const disruptions = options.disruptions ?? {};
  const truth = groundTruth(scenario, disruptions);
  const { seed, start } = options;
  const durationSeconds = checkNumber(
    options.durationSeconds,
    'durationSeconds',
    { min: 0, minExclusive: true, max: MAX_DURATION_SECONDS },
    `a simulation lasts more than 0 and at most ${MAX_DURATION_SECONDS} seconds`,
  );
  const random = new Random(seed);
  const segments = compileSegments(scenario);
  const detectorIndex = new Map(scenario.detectors.map((detector, index) => [detector.id, index]));
  const skewSeconds = scenario.detectors.map((detector) => detector.clockSkewSeconds);
  const startSecondOfDay = secondOfDay(start);
  const timeline = new Timeline(scenario, disruptions, start);
  const silences = scenario.detectors.map((detector) => silentSpans(disruptions, detector.id, start));
  const drifts = scenario.detectors.map((detector) => clockDrifts(disruptions, detector.id, start));
  const incidentFactor = Math.max(
    1,
    ...(disruptions.incidents ?? []).flatMap((incident) =>
      incidentSlowdowns(scenario, incident).map((slowdown) => slowdown.factor),
    ),
  );
  const durationMillis = Math.round(durationSeconds * MILLISECONDS_PER_SECOND);
  const kindPicker = weightedPicker(DEVICE_KINDS, (kind) => scenario.detection.kindShares[kind]);
  const { sightingsPerPass, stops, detection, travelTimeSpread } = scenario;

  const sightingMillis: number[] = [];
  const sightingDetector: number[] = [];
  const sightingDevice: number[] = [];
  const devices: { kind: DeviceKind; rawId: RawDeviceId }[] = [];
  let vehicles = 0;
  let detectedVehicles = 0;
  let traversals = 0;
  let stoppedTraversals = 0;

  /** Records the sightings of one pass of device `device` at `detector`, passing at `passSeconds`. */
  const recordPass = (device: number, detector: number, passSeconds: number, slowdown: number): void => {
    const count = random.integer(sightingsPerPass.min, sightingsPerPass.max);
    const dwell = sightingsPerPass.dwellSeconds * slowdown;
    for (let index = 0; index < count; index += 1) {
      const truthSeconds = passSeconds - dwell / 2 + dwell * random.uniform();
      if (isWithin(silences[detector] ?? [], truthSeconds)) continue;
      const seen =
        truthSeconds + (skewSeconds[detector] ?? 0) + driftAt(drifts[detector] ?? [], truthSeconds);
      const millis = Math.round(seen * MILLISECONDS_PER_SECOND);
      if (millis < 0 || millis >= durationMillis) continue;
      sightingMillis.push(millis);
      sightingDetector.push(detector);
      sightingDevice.push(device);
    }
  };

  for (const flow of scenario.flows) {
    const road = flow.path.slice(1).map((to, step) => {
      const segment = segments.get(pairKey(flow.path[step] ?? '', to));
      if (segment === undefined) throw new Error(`flow step ${flow.path[step]} → ${to} has no segment`);
      return segment;
    });
    const path = flow.path.map((id) => detectorIndex.get(id) ?? -1);
    const peakRate = (flow.vehiclesPerHour * timeline.peakVolume()) / 3600;
    if (peakRate === 0) continue;
    const warmUpSeconds = warmUp(road, travelTimeSpread, stops.maxDelaySeconds, incidentFactor);
    // Poisson arrivals at the peak rate, thinned to the profile's rate at each instant.
    for (let entry = -warmUpSeconds + random.exponential(peakRate); entry < durationSeconds;) {
      const rate = (flow.vehiclesPerHour * timeline.volumeAt(startSecondOfDay + entry)) / 3600;
      const accepted = random.uniform() * peakRate < rate;
      const detected = accepted && random.uniform() < detection.share;
      const counted = accepted && entry >= 0;
      if (counted) vehicles += 1;
      if (counted && detected) detectedVehicles += 1;
      if (detected) {
        const kind = kindPicker(random.uniform());
        const device = devices.push({ kind, rawId: rawDeviceId(kind, random) }) - 1;
        let passSeconds = entry;
        for (let step = 0; step < road.length; step += 1) {
          const segment = road[step] as CompiledSegment;
          const entry = startSecondOfDay + passSeconds;
          recordPass(device, path[step] ?? -1, passSeconds, timeline.segmentFactor(segment, entry));
          let travel = timeline.segmentSeconds(segment, entry) * Math.exp(travelTimeSpread * random.normal());
          // Drawn only at signals, so scenarios without one keep their random sequence.
          if (segment.signal !== undefined) travel += signalWaitSeconds(segment.signal, random.uniform());
          const stopped = random.uniform() < stops.share;
          if (stopped) travel += random.between(stops.minDelaySeconds, stops.maxDelaySeconds);
          if (counted) {
            traversals += 1;
            if (stopped) stoppedTraversals += 1;
          }
          passSeconds += travel;
        }
        const last = road[road.length - 1] as CompiledSegment;
        recordPass(
          device,
          path[road.length] ?? -1,
          passSeconds,
          timeline.segmentFactor(last, startSecondOfDay + passSeconds),
        );
      }
      entry += random.exponential(peakRate);
    }
  }

  const sightings = sortedSightings(
    scenario,
    start,
    devices,
    sightingMillis,
    sightingDetector,
    sightingDevice,
  );
  return {
    sightings,
    truth,
    stats: { vehicles, detectedVehicles, traversals, stoppedTraversals },
    journeys: journeysOf(sightings),
  };
}

/**
 * How long before `start` vehicles must begin entering so that the whole road is in
 * its steady state at `start`: the slowest plausible trip along the flow's road.
 */
function warmUp(
  road: readonly CompiledSegment[],
  spread: number,
  maxDelaySeconds: number,
  incidentFactor: number,
): number {
  let seconds = maxDelaySeconds;
  for (const segment of road) {
    const worstFactor = Math.max(incidentFactor, ...segment.congestion.map((episode) => episode.peakFactor));
    seconds += segment.freeFlowSeconds * worstFactor * Math.exp(SPREAD_SIGMAS_IN_WARM_UP * spread);
    if (segment.signal !== undefined) seconds += segment.signal.cycleSeconds - segment.signal.greenSeconds;
  }
  return seconds;
}

/** A span of seconds after the simulation's start. */
interface SecondsSpan {
  readonly from: number;
  readonly until: number;
}

/** The detector's outages as spans of seconds after `start`. */
function silentSpans(disruptions: Disruptions, detectorId: DetectorId, start: UnixNanos): SecondsSpan[] {
  return (disruptions.outages ?? [])
    .filter((outage) => outage.detectorId === detectorId)
    .map((outage) => ({
      from: secondsAfter(start, outage.from),
      until: outage.until === undefined ? Number.POSITIVE_INFINITY : secondsAfter(start, outage.until),
    }));
}

function isWithin(spans: readonly SecondsSpan[], seconds: number): boolean {
  return spans.some((span) => seconds >= span.from && seconds < span.until);
}

/** A drift of the detector's clock: from `from` until `until` (seconds after the start), `rate` seconds per second. */
interface DriftSpan {
  readonly from: number;
  readonly until: number;
  readonly rate: number;
}

function clockDrifts(disruptions: Disruptions, detectorId: DetectorId, start: UnixNanos): DriftSpan[] {
  return (disruptions.clockDrifts ?? [])
    .filter((drift) => drift.detectorId === detectorId)
    .map((drift) => ({
      from: secondsAfter(start, drift.from),
      until: drift.until === undefined ? Number.POSITIVE_INFINITY : secondsAfter(start, drift.until),
      rate: drift.secondsPerHour / 3600,
    }));
}

function driftAt(drifts: readonly DriftSpan[], seconds: number): number {
  let offset = 0;
  for (const drift of drifts) {
    if (seconds > drift.from && seconds < drift.until) offset += (seconds - drift.from) * drift.rate;
  }
  return offset;
}

function secondsAfter(start: UnixNanos, at: UnixNanos): number {
  return Number(at - start) / Number(NANOS_PER_SECOND);
}

/**
 * Each device's passes from its sightings (in time order): consecutive sightings at one
 * detector are one pass, since no flow visits a detector twice.
 */
function journeysOf(sightings: readonly SimulatedSighting[]): Journey[] {
  const byDevice = new Map<
    RawDeviceId,
    { kind: DeviceKind; passes: { detectorId: DetectorId; times: UnixNanos[] }[] }
  >();
  for (const sighting of sightings) {
    let journey = byDevice.get(sighting.rawDeviceId);
    if (journey === undefined) {
      journey = { kind: sighting.kind, passes: [] };
      byDevice.set(sighting.rawDeviceId, journey);
    }
    const last = journey.passes.at(-1);
    if (last?.detectorId === sighting.detectorId) last.times.push(sighting.time);
    else journey.passes.push({ detectorId: sighting.detectorId, times: [sighting.time] });
  }
  return [...byDevice].map(([rawDeviceId, { kind, passes }]) => ({ kind, rawDeviceId, passes }));
}

/** Maps a uniform draw in [0, 1) to one of `values` with probability proportional to its weight. */
function weightedPicker<T>(values: readonly T[], weightOf: (value: T) => number): (draw: number) => T {
  const bounds: number[] = [];
  let total = 0;
  for (const value of values) {
    total += weightOf(value);
    bounds.push(total);
  }
  // A zero weight repeats the previous bound, so the strict comparison never picks it.
  const lastWeighted = values.findLastIndex((value) => weightOf(value) > 0);
  return (draw) => {
    const index = bounds.findIndex((bound) => draw * total < bound);
    return values[index === -1 ? lastWeighted : index] as T;
  };
}

/**
 * An identifier as a detector would see it: a MAC address for WiFi (randomised,
 * locally administered, as phones use) and Bluetooth (a vendor-assigned one), an
 * IMSI (MCC 204, MNC 08, then ten digits) for mobile.
 */
function rawDeviceId(kind: DeviceKind, random: Random): RawDeviceId {
  if (kind === 'mobile') {
    const digits =
      `${random.integer(0, 99_999)}`.padStart(5, '0') + `${random.integer(0, 99_999)}`.padStart(5, '0');
    return `20408${digits}` as RawDeviceId;
  }
  const bytes = [...bytesOf(random.nextUint32()), ...bytesOf(random.nextUint32()).slice(0, 2)];
  // Bit 1 of the first byte marks a locally administered address, bit 0 a multicast one.
  bytes[0] = kind === 'wifi' ? ((bytes[0] ?? 0) | 0x02) & 0xfe : (bytes[0] ?? 0) & 0xfc;
  return bytes.map((byte) => byte.toString(16).padStart(2, '0').toUpperCase()).join(':') as RawDeviceId;
}

function bytesOf(word: number): number[] {
  return [(word >>> 24) & 0xff, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff];
}

function sortedSightings(
  scenario: Scenario,
  start: UnixNanos,
  devices: readonly { kind: DeviceKind; rawId: RawDeviceId }[],
  millis: readonly number[],
  detectors: readonly number[],
  deviceOf: readonly number[],
): SimulatedSighting[] {
  const order = millis.map((_, index) => index);
  order.sort((left, right) => (millis[left] ?? 0) - (millis[right] ?? 0));
  return order.map((index) => {
    const device = devices[deviceOf[index] ?? 0] as { kind: DeviceKind; rawId: RawDeviceId };
    return {
      detectorId: (scenario.detectors[detectors[index] ?? 0] as Scenario['detectors'][number]).id,
      kind: device.kind,
      rawDeviceId: device.rawId,
      time: start + BigInt(millis[index] ?? 0) * NANOS_PER_MILLISECOND,
    };
  });
}
