import type { SoakTrafficSpec } from '../soak/soak-traffic';
import type { SightingPlan } from './sighting-logs';

/**
 * The work the load generator process does, as plain data sent over its IPC channel.
 * Addresses are `host:port` of the cqserver under test.
 */
export type LoadJob = UnaryJob | StreamJob | GetEventsJob | PacedJob;

/** CreateEventLog calls of `plan.sightingsPerLog` sightings each, `concurrency` in flight. */
export interface UnaryJob {
  readonly kind: 'unary';
  readonly collector: string;
  readonly plan: SightingPlan;
  readonly concurrency: number;
}

/**
 * StreamEventLog calls one after another, each carrying `logsPerStream` logs of the
 * plan; a call's latency is from opening the stream to its response (the protocol
 * acknowledges once per stream, so a client cannot see a single log's latency).
 */
export interface StreamJob {
  readonly kind: 'stream';
  readonly collector: string;
  readonly plan: SightingPlan;
  readonly logsPerStream: number;
}

/** GetEvents of one detector's range, `repeats` calls in turn, each required to return `expectedSightings`. */
export interface GetEventsJob {
  readonly kind: 'get-events';
  readonly query: string;
  readonly detectorId: string;
  readonly afterSeconds: number;
  readonly beforeSeconds: number;
  readonly repeats: number;
  readonly expectedSightings: number;
}

/**
 * The soak's traffic (see `SoakTrafficSpec`) at the current time, in CreateEventLog
 * calls of `sightingsPerLog`, `concurrency` in flight, paced at `sightingsPerSecond`
 * (as fast as the server takes them when absent), for `seconds`. Reports progress
 * every `progressEveryMs`.
 */
export interface PacedJob {
  readonly kind: 'paced';
  readonly collector: string;
  readonly traffic: SoakTrafficSpec;
  readonly sightingsPerLog: number;
  readonly concurrency: number;
  readonly sightingsPerSecond?: number;
  readonly seconds: number;
  readonly progressEveryMs: number;
}

/** What a job did, measured inside the load generator. */
export interface LoadResult {
  /** Wall-clock seconds from the first call to the last answer. */
  readonly seconds: number;
  /** The load generator's CPU seconds meanwhile (user + system): the client's cost. */
  readonly cpuSeconds: number;
  /** Sightings sent (or, for GetEvents, read) in calls that succeeded. */
  readonly sightings: number;
  /** Milliseconds of each call, in completion order (streams: each stream call). */
  readonly latenciesMs: readonly number[];
  /** Calls that failed, with the first failure's message; ingest jobs throw instead, except paced ones. */
  readonly failedCalls: number;
  readonly firstFailure?: string;
}

/** A paced job's running totals, sent every `progressEveryMs`. */
export interface LoadProgress {
  /** Seconds since the job started. */
  readonly elapsedSeconds: number;
  /** Sightings acknowledged so far. */
  readonly sightings: number;
  readonly failedCalls: number;
  /** Calls answered since the previous report, and their latencies' p50 and p99 in ms (0 when none). */
  readonly calls: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Messages from the parent to the load generator. */
export type ToLoadGenerator =
  { readonly type: 'run'; readonly id: number; readonly job: LoadJob } | { readonly type: 'exit' };

/** Messages from the load generator to the parent. */
export type FromLoadGenerator =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly result: LoadResult }
  | { readonly type: 'failed'; readonly id: number; readonly error: string }
  | { readonly type: 'progress'; readonly id: number; readonly progress: LoadProgress };
