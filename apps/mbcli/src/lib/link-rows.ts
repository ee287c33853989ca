import type { collector } from '@message-bus/proto';

export interface LinkRow {
  readonly source: string;
  readonly destination: string;
  readonly maxSeconds: number;
}

/** One row per (source → destination) pair, sorted by destination then source. */
export function linkRows(links: readonly collector.DetectorLink[]): LinkRow[] {
  return links
    .flatMap((link) =>
      link.srcDetectors.map((source) => ({
        source: source.detectorId,
        destination: link.destDetectorId,
        maxSeconds: Number(source.maxSeconds),
      })),
    )
    .sort((a, b) => a.destination.localeCompare(b.destination) || a.source.localeCompare(b.source));
}

export const LINK_HEADERS = ['SOURCE', 'DESTINATION', 'MAX SECONDS'] as const;

export function linkCells(row: LinkRow): string[] {
  return [row.source, row.destination, String(row.maxSeconds)];
}
