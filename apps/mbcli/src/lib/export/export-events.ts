import type { ServiceError } from '@grpc/grpc-js';
import type { query } from '@message-bus/proto';
import type { CsvOutput } from './export-output';
import { ServiceCallError, type ServiceTarget } from '../connection/service-error';
import { csvCells } from '../csv/csv-fields';
import { EVENT_CSV_COLUMNS, eventRow } from '../display/event-rows';

export interface EventExport {
  readonly events: number;
  /** Detectors that had `limit` sightings in the range: older ones may have been left out. */
  readonly detectorsAtLimit: readonly string[];
}

/**
 * The events CSV: one row per sighting, oldest first, with the columns (and names) of
 * `events --json` (EVENT_CSV_COLUMNS). The device is the server's pseudonym (raw ids are
 * never stored); times are exact, as RFC 3339 with nine fractional digits and as Unix
 * nanoseconds.
 *
 * Streams the sightings of a closed range (StreamEvents with `range.before` set ends
 * after the stored sightings) into `output`, a row at a time: no response holds the
 * whole range, and reading pauses while the output is full.
 */
export async function exportEvents(
  client: query.QueryServiceClient,
  target: ServiceTarget,
  request: query.GetEventsRequest,
  output: CsvOutput,
): Promise<EventExport> {
  await output.writeRow(EVENT_CSV_COLUMNS);
  const perDetector = new Map<string, number>();
  let events = 0;
  const stream = client.streamEvents(request);
  try {
    for await (const event of stream as AsyncIterable<query.DetectionEvent>) {
      for (const time of event.time) {
        await output.writeRow(csvCells(eventRow(event.detectorId, event.deviceId, time), EVENT_CSV_COLUMNS));
        events += 1;
      }
      perDetector.set(event.detectorId, (perDetector.get(event.detectorId) ?? 0) + event.time.length);
    }
  } catch (error) {
    stream.cancel();
    if (isServiceError(error)) throw new ServiceCallError(target, error);
    throw error;
  }
  const limit = Number(request.limit);
  const detectorsAtLimit = [...perDetector].filter(([, count]) => count >= limit).map(([id]) => id);
  return { events, detectorsAtLimit };
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}
