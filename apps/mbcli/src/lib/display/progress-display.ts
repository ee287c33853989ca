/** What a progress display shows at one moment: the share done and the words beside the bar. */
export interface ProgressReport {
  /** 0 to 1. */
  readonly fraction: number;
  /** E.g. `25% 2500 rows (3 rejected), 1000 rows/s, about 8s left`. */
  readonly text: string;
}

const BAR_WIDTH = 30;
const TTY_REFRESH_MS = 200;
const PLAIN_LINE_EVERY_MS = 10_000;

/**
 * Progress on stderr, never stdout (which carries the summary, or the JSON). At a
 * terminal: a bar redrawn in place, at once and then at most a few times a second.
 * Otherwise (a log, a pipe): a plain line `<label>: <text>` every ten seconds, so a long
 * run in a job log still shows it is moving.
 */
export class ProgressDisplay {
  private lastShown: number | undefined;
  private drawn = false;

  constructor(
    /** Names the command in plain lines, e.g. `import`. */
    private readonly label: string,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
    private readonly now: () => number = Date.now,
  ) {}

  private get isTerminal(): boolean {
    return this.stderr.isTTY === true;
  }

  show(report: ProgressReport): void {
    const now = this.now();
    if (this.isTerminal) {
      if (this.lastShown !== undefined && now - this.lastShown < TTY_REFRESH_MS) return;
      this.lastShown = now;
      this.stderr.write(`\r\x1b[2K${progressBar(report)}`);
      this.drawn = true;
      return;
    }
    // The first report only starts the clock: a short run prints no progress line at all.
    if (this.lastShown === undefined) this.lastShown = now;
    if (now - this.lastShown < PLAIN_LINE_EVERY_MS) return;
    this.lastShown = now;
    this.stderr.write(`${this.label}: ${report.text}\n`);
  }

  clear(): void {
    if (this.drawn) this.stderr.write('\r\x1b[2K');
    this.drawn = false;
  }
}

/** `[#####-----…] <text>`, the bar filled to `fraction`. */
export function progressBar(report: ProgressReport): string {
  const filled = Math.round(Math.min(1, Math.max(0, report.fraction)) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${report.text}`;
}
