import { readFileSync } from 'node:fs';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { collector } from '@message-bus/proto';
import {
  fuzzPayload,
  MAX_REQUEST_BYTES,
  oversizedPayload,
  type FuzzContext,
  type PayloadKind,
} from './fuzz-messages';
import type { CallOutcome, RawGrpcClient, RpcMethod } from './raw-grpc-client';
import { SeededRandom } from './seeded-random';

/**
 * Drives a fuzz run: case `index` of a run seeded with `seed` picks its RPC round-robin
 * and its payload from `SeededRandom.forCase(seed, index)`, so any case is rebuilt from
 * the two numbers. Valid EventLogs are interleaved at a fixed stride, oversized messages
 * at another, and the server's RSS is sampled as the run goes.
 */

export interface FuzzTarget {
  readonly client: RawGrpcClient;
  readonly method: RpcMethod;
}

export interface FuzzRunOptions {
  readonly seed: number;
  readonly cases: number;
  /** Calls in flight at once; e.g. `48`. */
  readonly concurrency: number;
  /** Every RPC under test; cases take turns over them. */
  readonly targets: readonly FuzzTarget[];
  readonly context: FuzzContext;
  /** Valid logs, in the order they are sent; one every `validEvery` cases, alternately unary and streamed. */
  readonly validLogs: readonly collector.EventLog[];
  readonly validEvery: number;
  /**
   * Oversized messages per RPC, spread evenly over the run: just under the largest request
   * (a repeated field filled up; 100,000 sightings for an EventLog) for every other RPC, over it for the rest.
   */
  readonly oversizedPerRpc: number;
  /** Reads the server's resident set size in kB. */
  readonly readRssKb: () => number;
  readonly rssSampleEvery: number;
  readonly deadlineMs: number;
  readonly streamSliceMs: number;
}

/** What a case sent: a fuzz payload, one of the valid logs, or the 100,000-sighting log. */
export type CaseKind = PayloadKind | 'valid-log' | '100k-sightings';

/** A call that ended with a status its RPC must never answer, with what reproduces it. */
export interface Violation {
  readonly seed: number;
  readonly index: number;
  readonly path: string;
  /** The kind of each frame sent, `+`-joined; e.g. `truncated+schema-valid`. */
  readonly kind: string;
  readonly code: string;
  readonly details: string;
}

export interface FuzzReport {
  readonly cases: number;
  /** Request messages sent per RPC path (a client stream sends several per call). */
  readonly messagesPerRpc: ReadonlyMap<string, number>;
  /** RPC path → status name → calls; a server stream cancelled by the fuzzer counts as `CANCELLED`. */
  readonly statusesPerRpc: ReadonlyMap<string, ReadonlyMap<string, number>>;
  readonly payloadKinds: ReadonlyMap<string, number>;
  readonly violations: readonly Violation[];
  readonly validLogsAcknowledged: number;
  /** [case index, kB] pairs in run order. */
  readonly rssSamplesKb: ReadonlyArray<readonly [number, number]>;
  /** The slowest calls of the run, slowest first: where the run's time went. */
  readonly slowestCalls: readonly SlowCall[];
  /** Request payload bytes sent in all. */
  readonly bytesSent: number;
  readonly durationMs: number;
}

export interface SlowCall {
  readonly index: number;
  readonly path: string;
  readonly kind: string;
  readonly ms: number;
  /** When the call started, from the start of the run. */
  readonly atMs: number;
}

const SLOW_CALLS_KEPT = 8;

function noteSlowCall(slowest: SlowCall[], call: SlowCall): void {
  if (slowest.length === SLOW_CALLS_KEPT && call.ms <= slowest[SLOW_CALLS_KEPT - 1]!.ms) return;
  slowest.push(call);
  slowest.sort((a, b) => b.ms - a.ms);
  slowest.length = Math.min(slowest.length, SLOW_CALLS_KEPT);
}

/** Statuses no RPC may answer to any input; everything else not allowed below is a violation too. */
const ALWAYS_ALLOWED = new Set([
  GrpcStatus.OK,
  GrpcStatus.INVALID_ARGUMENT,
  GrpcStatus.NOT_FOUND,
  // A well-formed range the store cannot serve: RecomputeTravelTimes before the retention or after now.
  GrpcStatus.OUT_OF_RANGE,
  GrpcStatus.RESOURCE_EXHAUSTED,
]);

/**
 * FAILED_PRECONDITION where a well-formed request depends on other stored state: a route
 * whose consecutive pair is not a link.
 */
const PRECONDITION_RPCS = new Set(['/collector.CollectorService/CreateRoute']);

function allowed(method: RpcMethod, outcome: CallOutcome): boolean {
  if (ALWAYS_ALLOWED.has(outcome.code)) return true;
  if (outcome.code === GrpcStatus.FAILED_PRECONDITION) return PRECONDITION_RPCS.has(method.path);
  // The fuzzer itself cancels a response stream at its first message or when it stays quiet.
  return method.responseStream && outcome.code === GrpcStatus.CANCELLED;
}

const STREAM_EVENT_LOG = '/collector.CollectorService/StreamEventLog';
const CREATE_EVENT_LOG = '/collector.CollectorService/CreateEventLog';
const MANY_SIGHTINGS = 100_000;
const LARGE_REQUEST_BYTES = 64 * 1024;
const LARGE_REQUEST_SLICE_MS = 5_000;

export async function runFuzz(options: FuzzRunOptions): Promise<FuzzReport> {
  const messagesPerRpc = new Map<string, number>();
  const statusesPerRpc = new Map<string, Map<string, number>>();
  const payloadKinds = new Map<string, number>();
  const violations: Violation[] = [];
  const rssSamplesKb: Array<readonly [number, number]> = [];
  const slowestCalls: SlowCall[] = [];
  const validTargets = [
    options.targets.find((target) => target.method.path === CREATE_EVENT_LOG),
    options.targets.find((target) => target.method.path === STREAM_EVENT_LOG),
  ];
  const oversizedLog = manySightingsLog(options.context, MANY_SIGHTINGS);
  let validLogsAcknowledged = 0;
  let bytesSent = 0;

  const startedAt = performance.now();
  const runCase = async (index: number): Promise<void> => {
    const random = SeededRandom.forCase(options.seed, index);
    const plan = planCase(options, index, random, validTargets, oversizedLog);
    for (const kind of plan.kinds) increment(payloadKinds, kind);
    increment(messagesPerRpc, plan.target.method.path, plan.frames.length);
    const caseBytes = plan.frames.reduce((sum, frame) => sum + frame.length, 0);
    bytesSent += caseBytes;
    const callStartedAt = performance.now();
    // A big request takes a while just to arrive: give its response stream longer before cancelling it.
    const streamSliceMs = caseBytes > LARGE_REQUEST_BYTES ? LARGE_REQUEST_SLICE_MS : options.streamSliceMs;
    const outcome = await plan.target.client.call(plan.target.method, plan.frames, {
      ...options,
      streamSliceMs,
    });
    noteSlowCall(slowestCalls, {
      index,
      path: plan.target.method.path,
      kind: plan.kinds.join('+'),
      ms: Math.round(performance.now() - callStartedAt),
      atMs: Math.round(callStartedAt - startedAt),
    });
    const statusName = GrpcStatus[outcome.code] ?? String(outcome.code);
    let byCode = statusesPerRpc.get(plan.target.method.path);
    if (byCode === undefined) statusesPerRpc.set(plan.target.method.path, (byCode = new Map()));
    increment(byCode, statusName);
    const ok = plan.valid ? outcome.code === GrpcStatus.OK : allowed(plan.target.method, outcome);
    if (plan.valid && ok) validLogsAcknowledged += 1;
    if (!ok) {
      violations.push({
        seed: options.seed,
        index,
        path: plan.target.method.path,
        kind: plan.kinds.join('+'),
        code: statusName,
        details: outcome.details,
      });
    }
  };

  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < options.cases; index = next++) {
      if (index % options.rssSampleEvery === 0) rssSamplesKb.push([index, options.readRssKb()]);
      await runCase(index);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  rssSamplesKb.push([options.cases, options.readRssKb()]);
  return {
    cases: options.cases,
    messagesPerRpc,
    statusesPerRpc,
    payloadKinds,
    violations,
    validLogsAcknowledged,
    rssSamplesKb,
    slowestCalls,
    bytesSent,
    durationMs: performance.now() - startedAt,
  };
}

interface CasePlan {
  readonly target: FuzzTarget;
  readonly frames: readonly Buffer[];
  readonly kinds: readonly CaseKind[];
  readonly valid: boolean;
}

function planCase(
  options: FuzzRunOptions,
  index: number,
  random: SeededRandom,
  validTargets: ReadonlyArray<FuzzTarget | undefined>,
  oversizedLog: Buffer,
): CasePlan {
  const { context, targets } = options;
  if (index % options.validEvery === Math.floor(options.validEvery / 2)) {
    const ordinal = Math.floor(index / options.validEvery);
    const log = options.validLogs[ordinal];
    const target = validTargets[ordinal % 2];
    if (log === undefined || target === undefined) {
      throw new RangeError(`no valid log ${ordinal} or no EventLog RPC to send it with`);
    }
    return { target, frames: [encodeLog(log)], kinds: ['valid-log'], valid: true };
  }
  const oversizedStride = Math.floor(options.cases / (targets.length * options.oversizedPerRpc));
  if (index % oversizedStride === Math.floor(oversizedStride / 3)) {
    const ordinal = Math.floor(index / oversizedStride);
    const target = targets[ordinal % targets.length]!;
    const typeName = requestTypeOf(context, target.method);
    // Under the limit (decoded, then refused by the service) or over it (refused by grpc-js).
    const underTheLimit = (ordinal + Math.floor(ordinal / targets.length)) % 2 === 0;
    const isEventLog = target.method.path === CREATE_EVENT_LOG || target.method.path === STREAM_EVENT_LOG;
    if (underTheLimit && isEventLog) {
      return { target, frames: [oversizedLog], kinds: ['100k-sightings'], valid: false };
    }
    const size = underTheLimit ? MAX_REQUEST_BYTES - 4096 : MAX_REQUEST_BYTES + 65_536;
    const payload = oversizedPayload(context, random, typeName, size);
    return { target, frames: [payload.bytes], kinds: [payload.kind], valid: false };
  }
  const target = targets[index % targets.length]!;
  const typeName = requestTypeOf(context, target.method);
  const frameCount = target.method.requestStream ? random.below(5) : 1;
  const payloads = Array.from({ length: frameCount }, () => fuzzPayload(context, random, typeName));
  return {
    target,
    frames: payloads.map((payload) => payload.bytes),
    kinds: payloads.map((payload) => payload.kind),
    valid: false,
  };
}

function requestTypeOf(context: FuzzContext, method: RpcMethod): string {
  const typeName = context.schema.requestTypes.get(method.path);
  if (typeName === undefined) throw new Error(`${method.path} is not in the descriptor set`);
  return typeName;
}

function encodeLog(log: collector.EventLog): Buffer {
  return Buffer.from(collector.EventLog.encode(log).finish());
}

/** An EventLog of `sightings` one-time events, encoded by the generated code: ten times the per-log limit. */
function manySightingsLog(context: FuzzContext, sightings: number): Buffer {
  const events = Array.from({ length: sightings }, (_, n): collector.DetectionEvent => ({
    time: [{ seconds: context.nowSeconds - 60n, nanos: n }],
    deviceId: { $case: 'bluetooth', value: `bulk-${n}` },
  }));
  const detectorId = context.detectorIds[0] ?? 'fuzz';
  return encodeLog({ loc: { detectorId, latitude: 0n, longitude: 0n }, events });
}

function increment(counts: Map<string, number>, key: string, by = 1): void {
  counts.set(key, (counts.get(key) ?? 0) + by);
}

/** VmRSS of process `pid` from /proc, in kB. */
export function readProcessRssKb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match?.[1] === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]);
}
