import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { formatCsvLine } from '../csv/csv-fields';

/** An export's `--json` prints a summary on stdout, so its CSV needs a file. */
export const JSON_NEEDS_OUTPUT =
  '--json prints a summary of the export on stdout, so the CSV needs a file; give --output FILE';

/** Text gathered before one write: few syscalls, and bounded memory whatever the export's size. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Where an export's CSV goes: stdout, or a file that appears under its name only once
 * complete (it is written as `FILE.partial` and renamed), so a failed export never
 * leaves a file that looks whole. Writes wait whenever the destination is full.
 */
export class CsvOutput {
  private chunk = '';
  rows = 0;

  private constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly file?: { readonly path: string; readonly partial: string; readonly stream: WriteStream },
  ) {}

  static open(path: string | undefined): CsvOutput {
    if (path === undefined) return new CsvOutput(process.stdout);
    const partial = `${path}.partial`;
    const stream = createWriteStream(partial);
    return new CsvOutput(stream, { path, partial, stream });
  }

  async writeRow(fields: readonly string[]): Promise<void> {
    this.chunk += `${formatCsvLine(fields)}\n`;
    this.rows += 1;
    if (this.chunk.length >= CHUNK_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    const text = this.chunk;
    this.chunk = '';
    if (text !== '' && !this.stream.write(text)) await once(this.stream, 'drain');
  }

  /** Writes what is left; a file is then renamed to its final name. */
  async finish(): Promise<void> {
    await this.flush();
    if (this.file === undefined) return;
    this.file.stream.end();
    await once(this.file.stream, 'finish');
    renameSync(this.file.partial, this.file.path);
  }

  /** After a failure: a file's partial text is removed. */
  abandon(): void {
    if (this.file === undefined) return;
    this.file.stream.destroy();
    rmSync(this.file.partial, { force: true });
  }
}
