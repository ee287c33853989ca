import { NANOS_PER_SECOND, Pseudonymiser, type Sighting, type UnixNanos } from '@message-bus/domain';
import type { Repository, WorkLeases } from '@message-bus/repository';
import { createLogger } from '@message-bus/server-kit';
import { simulate } from '@message-bus/simulation';
import { TravelTimeWorker } from '@message-bus/traveltime';
import type { Trial } from '../measure';
import { chunks } from '../store/workload';
import { hundredLinkNetwork, SEED } from '../traveltime/workload';

/** The worker's cadence, cqserver's default. */
export const WORKER_INTERVAL_SECONDS = 60;
const WORKER_LAG_SECONDS = 30;
/**
 * Simulated before the first timed interval: the estimator's lookback (window 900 s +
 * history 1,800 s + pass gap 120 s + the longest link's maxSeconds) fits in it.
 */
const SIMULATED_LEAD_SECONDS = 80 * 60;
const SECONDS_PER_DAY = 86_400;
/** The hour of yesterday whose traffic is stored: the morning rush, the busiest. */
const RUSH_HOUR_UTC = 7;

/** The stored network the worker estimates. */
export interface StoredNetwork {
  readonly links: number;
  readonly detectors: number;
  readonly sightings: number;
  /** The first timed interval end; round r estimates the interval ending `WORKER_INTERVAL_SECONDS × r` later. */
  readonly firstIntervalEnd: UnixNanos;
}

/**
 * Stores a 100-link network (the travel-time suite's, simulated with its seed) into
 * `repository`: detector coordinates, links, and the sightings of yesterday's morning
 * rush, pseudonymised as the collector stores them, covering the estimator's lookback
 * before the first timed interval and `intervals` intervals after it.
 */
export async function storeHundredLinkNetwork(
  repository: Repository,
  intervals: number,
): Promise<StoredNetwork> {
  const scenario = hundredLinkNetwork();
  const today = Math.floor(Date.now() / 1000 / SECONDS_PER_DAY) * SECONDS_PER_DAY;
  const startSeconds = today - SECONDS_PER_DAY + RUSH_HOUR_UTC * 3600 - SIMULATED_LEAD_SECONDS;
  const durationSeconds = SIMULATED_LEAD_SECONDS + (intervals + 1) * WORKER_INTERVAL_SECONDS;
  const simulation = simulate(scenario, {
    seed: SEED,
    start: BigInt(startSeconds) * NANOS_PER_SECOND,
    durationSeconds,
  });
  const pseudonymiser = new Pseudonymiser({
    masterSecret: new Uint8Array(32).fill(0x5a),
    rotation: { kind: 'never' },
    overlapSeconds: 0,
  });
  const sightings: Sighting[] = simulation.sightings.map(({ detectorId, kind, rawDeviceId, time }) => ({
    detectorId,
    deviceId: pseudonymiser.pseudonymsAt(kind, rawDeviceId, time).current,
    time,
  }));
  for (const batch of chunks(sightings, 10_000)) await repository.events.append(batch);
  for (const { id, coordinates } of scenario.detectors) {
    await repository.detectors.putCoordinates({ detectorId: id, coordinates });
  }
  for (const { source, destination, maxSeconds } of scenario.links) {
    await repository.links.put({ source, destination, maxSeconds });
  }
  return {
    links: scenario.links.length,
    detectors: scenario.detectors.length,
    sightings: sightings.length,
    firstIntervalEnd: BigInt(startSeconds + SIMULATED_LEAD_SECONDS) * NANOS_PER_SECOND,
  };
}

/**
 * One interval of the travel-time worker over the stored network: `runOnce` at the
 * time the next interval becomes due (its end + lag), as cqserver's worker does every
 * interval: read the links, count the workers, then for every destination read the
 * sightings of it and its sources and write one estimate per link. The worker keeps
 * its claims and progress across rounds, so a round after the first computes exactly
 * one new interval per link; before the first, untimed, it claims the destinations and
 * estimates every interval before the first timed one (the stored history).
 * Throws unless each round writes one estimate per link.
 */
export function workerIntervalTrial(
  id: string,
  repository: Repository,
  leases: WorkLeases,
  network: StoredNetwork,
): Trial & { readonly worker: TravelTimeWorker } {
  const worker = new TravelTimeWorker({
    repository,
    leases,
    logger: createLogger({ name: 'bench-worker', level: 'silent' }),
    workerId: `bench-${id}`,
    intervalSeconds: WORKER_INTERVAL_SECONDS,
    lagSeconds: WORKER_LAG_SECONDS,
  });
  return {
    id,
    worker,
    async prepare(round) {
      const at = (index: number) =>
        network.firstIntervalEnd +
        BigInt(index * WORKER_INTERVAL_SECONDS + WORKER_LAG_SECONDS) * NANOS_PER_SECOND;
      const now = at(round);
      // Untimed: the stored history before the first timed interval, so each timed round
      // writes exactly its own interval (the history's late marks and backlog included).
      if (round === 0) while ((await worker.runOnce(at(-1))).backlog);
      return async () => {
        const report = await worker.runOnce(now);
        const live = report.written - report.recomputed;
        if (live !== network.links) {
          throw new Error(
            `${id}: round ${round} wrote ${live} live estimates, expected one per link (${network.links})`,
          );
        }
      };
    },
  };
}
