import type { ServiceError } from '@grpc/grpc-js';
import type { DeviceKind } from '@message-bus/domain';
import type { collector } from '@message-bus/proto';
import { abortableWait } from '../abortable-wait';
import { ServiceCallError, type ServiceTarget } from '../connection/service-error';
import { sightingLog } from './sighting-log';

export interface StreamedSighting {
  readonly detectorId: string;
  readonly kind: DeviceKind;
  readonly rawDeviceId: string;
  readonly time: bigint;
}

export interface StreamProgress {
  readonly sent: number;
  readonly total: number;
  /** The simulated time of the last sighting sent. */
  readonly time: bigint;
}

export interface StreamOptions {
  /**
   * Milliseconds to wait before sending a sighting of this (simulated) time; 0 or
   * less sends at once. Leaving it out sends as fast as the collector takes them.
   */
  readonly delayBefore?: (time: bigint) => number;
  readonly onProgress?: (progress: StreamProgress) => void;
  /** Stops sending (the sightings already sent are still counted by the collector). */
  readonly signal?: AbortSignal;
}

/** What the collector acknowledged per kind, from StreamEventLog's response. */
export interface StreamCounts {
  readonly wifi: number;
  readonly bluetooth: number;
  readonly mobile: number;
}

/**
 * Sends sightings, in order, over one StreamEventLog call, waiting whenever the stream
 * is full (so a backfill goes as fast as the collector takes it, and no faster).
 */
export async function streamSightings(
  client: collector.CollectorServiceClient,
  target: ServiceTarget,
  sightings: readonly StreamedSighting[],
  options: StreamOptions = {},
): Promise<StreamCounts> {
  let failure: ServiceError | undefined;
  let stream!: ReturnType<collector.CollectorServiceClient['streamEventLog']>;
  const response = new Promise<collector.SendStreamResponse>((resolve, reject) => {
    stream = client.streamEventLog((error, result) => {
      if (error) {
        failure = error;
        reject(new ServiceCallError(target, error));
      } else resolve(result!);
    });
  });
  // A failed call ends the stream: stop waiting for room in it, and report the failure below.
  const ended = response.then(
    () => undefined,
    () => undefined,
  );
  let sent = 0;
  for (const sighting of sightings) {
    if (failure || options.signal?.aborted) break;
    const wait = options.delayBefore?.(sighting.time) ?? 0;
    if (wait > 0) await abortableWait(wait, options.signal);
    if (options.signal?.aborted) break;
    const log = sightingLog(sighting.detectorId, sighting.kind, sighting.rawDeviceId, sighting.time);
    if (!stream.write(log))
      await Promise.race([new Promise((resolve) => stream.once('drain', resolve)), ended]);
    sent += 1;
    options.onProgress?.({ sent, total: sightings.length, time: sighting.time });
  }
  stream.end();
  const counts = await response;
  return { wifi: Number(counts.wifi), bluetooth: Number(counts.bluetooth), mobile: Number(counts.mobile) };
}
