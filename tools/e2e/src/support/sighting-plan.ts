import type { collector, query } from '@message-bus/proto';

export interface SightingPlanOptions {
  /** Distinguishes this plan's detector and device ids from any other run's; e.g. `etcd-kill`. */
  readonly tag: string;
  /** Sightings in all; e.g. `100_000`. */
  readonly sightings: number;
  /** Sightings per EventLog; e.g. `100`. The last log may hold fewer. */
  readonly sightingsPerLog: number;
  /** Detectors the logs take turns to come from; e.g. `10`. */
  readonly detectors: number;
  /** Unix millisecond of sighting 0; sighting g is `g` ms later. E.g. an hour ago. */
  readonly firstTimeMs: number;
}

const radios = ['wifi', 'bluetooth', 'mobile'] as const;

/**
 * A known set of sightings, each one unique and recognisable in the store: sighting g
 * has its own device id (`<tag>-dev-<g>`, radio wifi, bluetooth, mobile in turn) and
 * its own time (`firstTimeMs + g` ms plus `g mod 1000` ns), so it is stored under one
 * deterministic key, and a sighting stored twice shows as the same (detector, time)
 * twice. Log L comes from detector `L mod detectors`.
 */
export class SightingPlan {
  readonly detectorIds: readonly string[];
  readonly logs: readonly collector.EventLog[];
  /** Covers every sighting of the plan: `after` inclusive, `before` exclusive. */
  readonly range: query.Range;
  /** Every sighting's `<detector>@<unix nanoseconds>`. */
  readonly keys: ReadonlySet<string>;

  constructor(readonly options: SightingPlanOptions) {
    const { tag, sightings, sightingsPerLog, detectors, firstTimeMs } = options;
    this.detectorIds = Array.from({ length: detectors }, (_, d) => `${tag}-det-${d}`);
    const logs: collector.EventLog[] = [];
    const keys = new Set<string>();
    for (let first = 0; first < sightings; first += sightingsPerLog) {
      const detectorId = this.detectorIds[logs.length % detectors]!;
      const events: collector.DetectionEvent[] = [];
      for (let g = first; g < Math.min(sightings, first + sightingsPerLog); g++) {
        const nanos = BigInt(firstTimeMs + g) * 1_000_000n + BigInt(g % 1000);
        keys.add(sightingKey(detectorId, nanos));
        events.push({
          time: [toTimestamp(nanos)],
          deviceId: { $case: radios[g % radios.length]!, value: `${tag}-dev-${g}` },
        });
      }
      logs.push({ loc: { detectorId, latitude: 0n, longitude: 0n }, events });
    }
    this.logs = logs;
    this.keys = keys;
    this.range = {
      after: toTimestamp(BigInt(firstTimeMs) * 1_000_000n),
      before: toTimestamp(BigInt(firstTimeMs + sightings + 1) * 1_000_000n),
    };
  }

  /** The keys of some of the plan's logs, e.g. those sent so far. */
  keysOf(logs: readonly collector.EventLog[]): Set<string> {
    const keys = new Set<string>();
    for (const log of logs) {
      for (const event of log.events) {
        for (const time of event.time) keys.add(sightingKey(log.loc!.detectorId, fromTimestamp(time)));
      }
    }
    return keys;
  }

  get sightingCount(): number {
    return this.keys.size;
  }

  /** The logs grouped into streams of `logsPerStream`, in order. */
  streams(logsPerStream: number): collector.EventLog[][] {
    const streams: collector.EventLog[][] = [];
    for (let first = 0; first < this.logs.length; first += logsPerStream) {
      streams.push(this.logs.slice(first, first + logsPerStream));
    }
    return streams;
  }
}

/** How a stored or planned sighting is recognised: `<detector>@<unix nanoseconds>`. */
export function sightingKey(detectorId: string, nanos: bigint): string {
  return `${detectorId}@${nanos}`;
}

/** Sightings in `logs`, one per (event, time) pair. */
export function countSightings(logs: readonly collector.EventLog[]): number {
  return logs.reduce((sum, log) => sum + log.events.reduce((n, event) => n + event.time.length, 0), 0);
}

export function toTimestamp(nanos: bigint): { seconds: bigint; nanos: number } {
  return { seconds: nanos / 1_000_000_000n, nanos: Number(nanos % 1_000_000_000n) };
}

export function fromTimestamp(timestamp: { seconds: bigint; nanos: number }): bigint {
  return timestamp.seconds * 1_000_000_000n + BigInt(timestamp.nanos);
}
