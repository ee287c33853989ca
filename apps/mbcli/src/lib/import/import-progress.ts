import { ProgressDisplay, progressBar as drawBar, type ProgressReport } from '../display/progress-display';

/** Where an import is, for its progress display. */
export interface ImportPosition {
  /** Bytes of the file behind us, and its size. */
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly rowsRead: number;
  readonly rejected: number;
  readonly rowsPerSecond: number;
}

/** An import's progress on stderr: see `ProgressDisplay`. */
export class ImportProgress {
  private readonly display: ProgressDisplay;

  constructor(stderr: NodeJS.WriteStream = process.stderr, now: () => number = Date.now) {
    this.display = new ProgressDisplay('import', stderr, now);
  }

  show(position: ImportPosition): void {
    this.display.show(importReport(position));
  }

  clear(): void {
    this.display.clear();
  }
}

export function progressBar(position: ImportPosition): string {
  return drawBar(importReport(position));
}

function importReport(position: ImportPosition): ProgressReport {
  const fraction = position.bytesTotal === 0 ? 1 : Math.min(1, position.bytesDone / position.bytesTotal);
  const rate = Math.round(position.rowsPerSecond);
  const remaining =
    rate > 0 ? ((position.bytesTotal - position.bytesDone) / position.bytesDone) * position.rowsRead : 0;
  const eta = rate > 0 && position.bytesDone > 0 ? `, about ${Math.ceil(remaining / rate)}s left` : '';
  return {
    fraction,
    text: `${Math.floor(fraction * 100)}% ${position.rowsRead} rows (${position.rejected} rejected), ${rate} rows/s${eta}`,
  };
}
