import { closeSync, ftruncateSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { formatCsvLine } from '../csv/csv-fields';
import type { RowRejection } from './import-row';

export const REJECTS_HEADER = ['line', 'reason', 'message', 'original_line'] as const;

/**
 * The rejects CSV: one row per rejected line with its line number, reason and the
 * original line. Created at the first reject; a resumed import first cuts it back to
 * the length its checkpoint recorded, so a batch that was written but not
 * acknowledged is not listed twice.
 */
export class RejectsFile {
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    private position: number,
  ) {}

  /** A fresh import: a rejects file left by an earlier import of the file is stale, and removed. */
  static fresh(path: string): RejectsFile {
    rmSync(path, { force: true });
    return new RejectsFile(path, 0);
  }

  /** A resumed import: keep the rejects of the lines before the checkpoint. */
  static resumed(path: string, checkpointBytes: number): RejectsFile {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return new RejectsFile(path, 0);
    }
    const file = new RejectsFile(path, Math.min(size, checkpointBytes));
    file.fd = openSync(path, 'r+');
    ftruncateSync(file.fd, file.position);
    return file;
  }

  /** Bytes written so far: what a checkpoint records. */
  get bytes(): number {
    return this.position;
  }

  write(rejections: readonly RowRejection[]): void {
    if (rejections.length === 0) return;
    this.fd ??= openSync(this.path, this.position === 0 ? 'w' : 'r+');
    const header = this.position === 0 ? `${formatCsvLine(REJECTS_HEADER)}\n` : '';
    const rows = rejections.map(
      (rejection) =>
        `${formatCsvLine([String(rejection.line), rejection.reason, rejection.message, rejection.text])}\n`,
    );
    const text = Buffer.from(header + rows.join(''));
    let written = 0;
    while (written < text.length) {
      written += writeSync(this.fd, text, written, text.length - written, this.position + written);
    }
    this.position += written;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
