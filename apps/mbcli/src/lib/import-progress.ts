/** Where an import is, for its progress display. */
export interface ImportPosition {
  /** Bytes of the file behind us, and its size. */
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly rowsRead: number;
  readonly rejected: number;
  readonly rowsPerSecond: number;
}

const BAR_WIDTH = 30;
const TTY_REFRESH_MS = 200;
const PLAIN_LINE_EVERY_MS = 10_000;

/**
 * Progress on stderr, never stdout (which carries the summary, or the JSON). At a
 * terminal: a bar redrawn in place a few times a second. Otherwise (a log, a pipe): a
 * plain line every ten seconds, so a long import in a job log still shows it is moving.
 */
export class ImportProgress {
  private lastShown = 0;
  private drawn = false;

  constructor(
    private readonly stderr: NodeJS.WriteStream = process.stderr,
    private readonly now: () => number = Date.now,
  ) {}

  private get isTerminal(): boolean {
    return this.stderr.isTTY === true;
  }

  show(position: ImportPosition): void {
    const now = this.now();
    if (this.lastShown === 0) this.lastShown = now;
    const wait = this.isTerminal ? TTY_REFRESH_MS : PLAIN_LINE_EVERY_MS;
    if (now - this.lastShown < wait) return;
    this.lastShown = now;
    if (this.isTerminal) {
      this.stderr.write(`\r\x1b[2K${progressBar(position)}`);
      this.drawn = true;
    } else {
      this.stderr.write(`import: ${progressText(position)}\n`);
    }
  }

  clear(): void {
    if (this.drawn) this.stderr.write('\r\x1b[2K');
    this.drawn = false;
  }
}

export function progressBar(position: ImportPosition): string {
  const fraction = position.bytesTotal === 0 ? 1 : Math.min(1, position.bytesDone / position.bytesTotal);
  const filled = Math.round(fraction * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${progressText(position)}`;
}

function progressText(position: ImportPosition): string {
  const fraction = position.bytesTotal === 0 ? 1 : Math.min(1, position.bytesDone / position.bytesTotal);
  const rate = Math.round(position.rowsPerSecond);
  const remaining =
    rate > 0 ? ((position.bytesTotal - position.bytesDone) / position.bytesDone) * position.rowsRead : 0;
  const eta = rate > 0 && position.bytesDone > 0 ? `, about ${Math.ceil(remaining / rate)}s left` : '';
  return `${Math.floor(fraction * 100)}% ${position.rowsRead} rows (${position.rejected} rejected), ${rate} rows/s${eta}`;
}
