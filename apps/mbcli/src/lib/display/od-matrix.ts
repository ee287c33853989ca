import type { query } from '@message-bus/proto';
import { renderTable } from './table';
import { formatSeconds } from './travel-time-rows';

export interface OdCell {
  readonly origin: string;
  readonly destination: string;
  readonly trips: number;
  /** Null when the server gave none. */
  readonly medianSeconds: number | null;
}

export interface OdMatrix {
  /** The detectors in the order asked: rows (origins) and columns (destinations). */
  readonly detectors: string[];
  /** Cells with trips, origin by origin in detector order. */
  readonly cells: OdCell[];
  /** Trips over every cell. */
  readonly trips: number;
  /** Trips seen at one detector only, which have no cell. */
  readonly singleDetectorTrips: number;
}

export function odMatrix(response: query.GetOriginDestinationResponse): OdMatrix {
  const order = new Map(response.detectorIds.map((id, index) => [id, index]));
  const position = (id: string) => order.get(id) ?? order.size;
  const cells = response.cells
    .map((cell) => ({
      origin: cell.originDetectorId,
      destination: cell.destinationDetectorId,
      trips: Number(cell.trips),
      medianSeconds: cell.medianSeconds ?? null,
    }))
    .sort(
      (a, b) => position(a.origin) - position(b.origin) || position(a.destination) - position(b.destination),
    );
  return {
    detectors: [...response.detectorIds],
    cells,
    trips: cells.reduce((sum, cell) => sum + cell.trips, 0),
    singleDetectorTrips: Number(response.singleDetectorTrips),
  };
}

/**
 * The matrix as a table: one row per origin, one column per destination, each cell
 * `trips (median)`, e.g. `12 (1m35s)`; `-` where no trip went.
 */
export function renderOdMatrix(matrix: OdMatrix): string {
  const byPair = new Map(matrix.cells.map((cell) => [`${cell.origin}\u0000${cell.destination}`, cell]));
  const rows = matrix.detectors.map((origin) => [
    origin,
    ...matrix.detectors.map((destination) => {
      const cell = byPair.get(`${origin}\u0000${destination}`);
      if (cell === undefined) return '-';
      return cell.medianSeconds === null
        ? String(cell.trips)
        : `${cell.trips} (${formatSeconds(cell.medianSeconds)})`;
    }),
  ]);
  return renderTable(['ORIGIN \\ DESTINATION', ...matrix.detectors], rows);
}

/** The summary under the matrix, e.g. `57 trips between 3 detectors; 4 seen at one detector only`. */
export function odSummary(matrix: OdMatrix): string {
  return `${matrix.trips} trips between ${matrix.detectors.length} detectors; ${matrix.singleDetectorTrips} seen at one detector only`;
}

/** The OD CSV's columns: the fields of the JSON's cells, so both name a datum alike. */
export const OD_CSV_COLUMNS = ['origin', 'destination', 'trips', 'medianSeconds'] as const;
