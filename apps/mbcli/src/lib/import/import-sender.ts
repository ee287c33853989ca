import { status } from '@grpc/grpc-js';
import { nanosToTimestamp, type DetectorId } from '@message-bus/domain';
import { collector, type Empty } from '@message-bus/proto';
import { unaryCall } from '../connection/grpc-connection';
import type { ImportSighting, RowRejection } from './import-row';
import { ServiceCallError, type ServiceTarget } from '../connection/service-error';

/** What the collector made of one batch. */
export interface BatchOutcome {
  readonly stored: number;
  /** Rows the collector refused although they passed the local checks (e.g. its clock-skew limit differs). */
  readonly rejected: readonly RowRejection[];
}

/** CreateEventLog calls of one batch in flight at once (one per detector). */
const CALLS_IN_FLIGHT = 8;

/**
 * Sends a batch as one CreateEventLog per detector (an EventLog names one detector),
 * several at once; the collector groups concurrent calls into shared store commits.
 * Resolves once every sighting is acknowledged. Unary calls, not one StreamEventLog,
 * because each call's answer is a commit of exactly its rows: when the batch resolves,
 * all of it is stored and the checkpoint may move past it.
 *
 * A log the collector refuses as INVALID_ARGUMENT names the event (`events[3]...`):
 * that row becomes a reject with the collector's reason and the rest is sent again
 * (storing is idempotent, so nothing is stored twice).
 */
export async function sendBatch(
  client: collector.CollectorServiceClient,
  target: ServiceTarget,
  sightings: readonly ImportSighting[],
): Promise<BatchOutcome> {
  const byDetector = new Map<DetectorId, ImportSighting[]>();
  for (const sighting of sightings) {
    const group = byDetector.get(sighting.detectorId);
    if (group === undefined) byDetector.set(sighting.detectorId, [sighting]);
    else group.push(sighting);
  }
  const groups = [...byDetector.values()];
  const rejected: RowRejection[] = [];
  let stored = 0;
  const worker = async () => {
    for (let group = groups.pop(); group !== undefined; group = groups.pop()) {
      const outcome = await sendDetectorLog(client, target, group);
      stored += outcome.stored;
      rejected.push(...outcome.rejected);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CALLS_IN_FLIGHT, groups.length) }, worker));
  return { stored, rejected };
}

const REFUSED_EVENT = /^events\[(\d+)\]/;

async function sendDetectorLog(
  client: collector.CollectorServiceClient,
  target: ServiceTarget,
  group: readonly ImportSighting[],
): Promise<BatchOutcome> {
  let remaining = [...group];
  const rejected: RowRejection[] = [];
  while (remaining.length > 0) {
    const log = collector.EventLog.fromPartial({
      loc: { detectorId: remaining[0]!.detectorId },
      events: remaining.map((sighting) => ({
        time: [nanosToTimestamp(sighting.time)],
        deviceId: { $case: sighting.kind, value: sighting.deviceId },
      })),
    });
    try {
      await unaryCall<Empty>(target, (metadata, options, done) =>
        client.createEventLog(log, metadata, options, done),
      );
      return { stored: remaining.length, rejected };
    } catch (error) {
      const refused = refusedEvent(error);
      const sighting = refused === undefined ? undefined : remaining[refused.index];
      if (refused === undefined || sighting === undefined) throw error;
      rejected.push({
        line: sighting.line,
        reason: 'rejected_by_collector',
        message: refused.message,
        text: sighting.text,
      });
      remaining = remaining.filter((_, index) => index !== refused.index);
    }
  }
  return { stored: 0, rejected };
}

/** The event an INVALID_ARGUMENT names, and the collector's reason without the event's position. */
function refusedEvent(error: unknown): { index: number; message: string } | undefined {
  if (!(error instanceof ServiceCallError) || error.cause.code !== status.INVALID_ARGUMENT) return undefined;
  const details = error.cause.details;
  const match = REFUSED_EVENT.exec(details);
  if (match === null) return undefined;
  const message = details.replace(/^events\[\d+\](?:\.\w+)*(?:\[\d+\])?:\s*/, '');
  return { index: Number(match[1]), message: `the collector refused it: ${message}` };
}
