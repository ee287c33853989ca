import {
  resolveEstimatorConfig,
  type DetectorId,
  type DetectorLink,
  type TravelTimeEstimate,
} from '@message-bus/domain';
import type { EventQuery, EventRepository, Repository } from '@message-bus/repository';
import type { ServerMetrics } from '@message-bus/server-kit';
import { resolveAlertOptions, type AlertOptions } from '../src/alerts/alert-options';
import { AlertWork, type AlertRound } from '../src/alerts/alert-work';
import { MINUTE, SECONDS, silentLogger, T0 } from './corridor';

/** The alert work of a worker with the default options (a minute's interval, a week's retention) and `alerts`. */
export function alertWork(
  repository: Repository,
  alerts: AlertOptions = {},
  metrics?: ServerMetrics,
): AlertWork {
  return new AlertWork({
    repository,
    logger: silentLogger,
    metrics,
    workerId: 'test',
    intervalSeconds: 60,
    sightingRetentionSeconds: 7 * 86_400,
    estimatorConfig: resolveEstimatorConfig(),
    alerts: resolveAlertOptions(alerts),
  });
}

/**
 * `work`'s rounds of minutes `from` to `to` after T0, one a minute, each half a minute
 * after its interval end, with `round`'s links and roles; `afterRound` runs after each.
 */
export async function minuteRounds(
  work: AlertWork,
  from: number,
  to: number,
  round: Omit<AlertRound, 'now' | 'lastDue'>,
  afterRound: (minute: number) => Promise<void> = async () => undefined,
): Promise<void> {
  for (const minute of minutes(from, to)) {
    const lastDue = T0 + BigInt(minute) * MINUTE;
    await work.afterRound({ ...round, now: lastDue + 30n * SECONDS, lastDue });
    await afterRound(minute);
  }
}

/** The links by destination, as a worker's round hands them to its alert work. */
export function linksByDestination(links: readonly DetectorLink[]): Map<DetectorId, readonly DetectorLink[]> {
  const byDestination = new Map<DetectorId, DetectorLink[]>();
  for (const link of links) {
    const group = byDestination.get(link.destination);
    if (group === undefined) byDestination.set(link.destination, [link]);
    else group.push(link);
  }
  return byDestination;
}

/** Estimates of a link ending at the given minutes after T0, `excess` s over a typical `typical` s, ratio from them. */
export function estimates(
  source: DetectorId,
  destination: DetectorId,
  minutes: readonly number[],
  shape: { typical: number; excess: (minute: number) => number; samples?: number },
): TravelTimeEstimate[] {
  return minutes.map((minute) => {
    const median = shape.typical + shape.excess(minute);
    return {
      source,
      destination,
      intervalEnd: T0 + BigInt(minute) * MINUTE,
      windowSeconds: 900,
      medianSeconds: median,
      validSamples: shape.samples ?? 20,
      totalSamples: shape.samples ?? 20,
      status: 'ok',
      typicalSeconds: shape.typical,
      ratioToTypical: median / shape.typical,
      level: median / shape.typical >= 2 ? 'severe' : median / shape.typical >= 1.6 ? 'heavy' : 'moderate',
    };
  });
}

/** The whole minutes from `from` to `to`, both included. */
export function minutes(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Each query for sightings the store answered, with how many it handed out. */
export interface SightingReads {
  readonly queries: { readonly query: EventQuery; sightings: number }[];
}

/** Sightings handed out in `reads`, all queries' or those `which` picks. */
export function sightingsRead(
  reads: SightingReads,
  which: (query: EventQuery) => boolean = () => true,
): number {
  return reads.queries.reduce((sum, read) => sum + (which(read.query) ? read.sightings : 0), 0);
}

/** The repository with its queries for sightings recorded in `reads`; everything else passes through. */
export function countingSightingReads(inner: Repository, reads: SightingReads): Repository {
  const events: EventRepository = {
    append: (sightings) => inner.events.append(sightings),
    follow: (detectorIds, signal) => inner.events.follow(detectorIds, signal),
    async *list(query) {
      const read = { query, sightings: 0 };
      reads.queries.push(read);
      for await (const sighting of inner.events.list(query)) {
        read.sightings += 1;
        yield sighting;
      }
    },
    async *listPages(query) {
      const read = { query, sightings: 0 };
      reads.queries.push(read);
      for await (const page of inner.events.listPages(query)) {
        read.sightings += page.length;
        yield page;
      }
    },
  };
  // Every other member is the store's own, bound to it.
  return new Proxy(inner, {
    get(target, key) {
      if (key === 'events') return events;
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
