import { status } from '@grpc/grpc-js';
import type { collector } from '@message-bus/proto';
import type { CallLog } from './call-log';
import { collectorClient, isGrpcError, statusName, streamEventLogs } from './grpc-clients';
import { countSightings } from './sighting-plan';

export interface RetryingStreamSenderOptions {
  /** The collector to send to, asked again before every attempt (a restarted server may have a new port). */
  readonly collectorAddress: () => string;
  /** Streams in flight at once; e.g. `4` (the default). */
  readonly concurrency?: number;
  /** Deadline of one attempt; e.g. `30_000` ms (the default). */
  readonly attemptDeadlineMs?: number;
  /** Pause after a failed attempt before the stream is sent again; e.g. `200` ms (the default). */
  readonly retryDelayMs?: number;
  /** Safety limit for the whole run; it fails once this has passed. E.g. `120_000` ms (the default). */
  readonly giveUpAfterMs?: number;
  /** Where each attempt is recorded as a `StreamEventLog` call, when a test needs their times. */
  readonly calls?: CallLog;
}

export interface StreamSendReport {
  readonly streams: number;
  /** Sightings in the streams, all acknowledged when the run resolves. */
  readonly sightings: number;
  /** Attempts in all: `streams` plus one per resend. */
  readonly attempts: number;
  /** Failed attempts (each resent), by gRPC status name; e.g. `{ UNAVAILABLE: 3 }`. */
  readonly failures: Readonly<Record<string, number>>;
}

/**
 * A client that sends each stream of EventLogs (one StreamEventLog call per stream)
 * until the server acknowledges it, the way a detector with a buffer does: a stream
 * that fails for any reason but INVALID_ARGUMENT is sent again, whole. Safe only because
 * a sighting's key derives from (detector, device, time). An acknowledged stream is
 * never sent again, so a sighting the server acknowledged and then lost stays lost.
 */
export class RetryingStreamSender {
  private ackedStreams = 0;
  private ackedSightingCount = 0;
  private failedAttemptCount = 0;
  private readonly clients = new Map<string, collector.CollectorServiceClient>();

  constructor(
    private readonly streams: readonly (readonly collector.EventLog[])[],
    private readonly options: RetryingStreamSenderOptions,
  ) {}

  /** Sightings acknowledged so far, for a test that injects a fault midway. */
  get ackedSightings(): number {
    return this.ackedSightingCount;
  }

  /** Attempts that failed (and are or will be resent) so far, for a test waiting on a fault to show. */
  get failedAttempts(): number {
    return this.failedAttemptCount;
  }

  /** Resolves once every stream is acknowledged; rejects on INVALID_ARGUMENT or after `giveUpAfterMs`. */
  async run(): Promise<StreamSendReport> {
    const giveUpAt = Date.now() + (this.options.giveUpAfterMs ?? 120_000);
    const failures: Record<string, number> = {};
    let attempts = 0;
    let next = 0;
    // Once one sender fails the run, the others stop instead of retrying on closed clients.
    let failed = false;
    const sendStreams = async (): Promise<void> => {
      for (let index = next++; !failed && index < this.streams.length; index = next++) {
        const logs = this.streams[index]!;
        const sightings = countSightings(logs);
        while (!failed) {
          attempts += 1;
          try {
            const send = () =>
              streamEventLogs(
                this.client(this.options.collectorAddress()),
                logs,
                this.options.attemptDeadlineMs ?? 30_000,
              );
            const counts = await (this.options.calls
              ? this.options.calls.record('StreamEventLog', send)
              : send());
            const acknowledged = Number(counts.mobile + counts.bluetooth + counts.wifi);
            if (acknowledged !== sightings) {
              throw new Error(
                `stream ${index}: the server acknowledged ${acknowledged} of ${sightings} sightings`,
              );
            }
            this.ackedStreams += 1;
            this.ackedSightingCount += sightings;
            break;
          } catch (error) {
            if (!isGrpcError(error) || error.code === status.INVALID_ARGUMENT) throw error;
            failures[statusName(error)] = (failures[statusName(error)] ?? 0) + 1;
            this.failedAttemptCount += 1;
            if (Date.now() > giveUpAt) {
              throw new Error(
                `gave up after ${attempts} attempts with ${this.ackedStreams} of ${this.streams.length} streams acknowledged; last: ${error.message}`,
                { cause: error },
              );
            }
            await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs ?? 200));
          }
        }
      }
    };
    const outcomes = await Promise.allSettled(
      Array.from({ length: this.options.concurrency ?? 4 }, () =>
        sendStreams().catch((error: unknown) => {
          failed = true;
          throw error;
        }),
      ),
    );
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    return {
      streams: this.streams.length,
      sightings: this.ackedSightingCount,
      attempts,
      failures,
    };
  }

  private client(address: string): collector.CollectorServiceClient {
    let client = this.clients.get(address);
    if (client === undefined) {
      client = collectorClient(address);
      this.clients.set(address, client);
    }
    return client;
  }
}
