import type { collector } from '@message-bus/proto';

export interface LinkRow {
  readonly source: string;
  readonly destination: string;
  readonly maxSeconds: number;
  /** The configured shortest plausible trip; null when derived from the link's length. */
  readonly minSeconds: number | null;
}

/** One row per (source → destination) pair, sorted by destination then source. */
export function linkRows(links: readonly collector.DetectorLink[]): LinkRow[] {
  return links
    .flatMap((link) =>
      link.srcDetectors.map((source) => ({
        source: source.detectorId,
        destination: link.destDetectorId,
        maxSeconds: Number(source.maxSeconds),
        minSeconds: source.minSeconds > 0n ? Number(source.minSeconds) : null,
      })),
    )
    .sort((a, b) => a.destination.localeCompare(b.destination) || a.source.localeCompare(b.source));
}

export const LINK_HEADERS = ['SOURCE', 'DESTINATION', 'MAX SECONDS', 'MIN SECONDS'] as const;

/** A derived minimum shows as `-`: the worker takes it from the link's length. */
export function linkCells(row: LinkRow): string[] {
  return [
    row.source,
    row.destination,
    String(row.maxSeconds),
    row.minSeconds === null ? '-' : String(row.minSeconds),
  ];
}
