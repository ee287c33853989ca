import { NANOS_PER_MILLISECOND, type EventTimeBounds } from '@message-bus/domain';
import type { collector } from '@message-bus/proto';
import { rmSync, statSync } from 'node:fs';
import { CsvSyntaxError, splitCsvLine } from '../csv/csv-fields';
import { readFileLines, type FileLine, type LineReadStart } from '../csv/csv-line-reader';
import {
  checkpointMismatch,
  fileHead,
  loadCheckpoint,
  saveCheckpoint,
  type RowCounts,
} from './import-checkpoint';
import { locateColumns, type ImportLayout, type LocatedColumns } from './import-layout';
import type { ImportPosition } from './import-progress';
import { RejectsFile } from './import-rejects';
import { parseRow, type ImportSighting, type RejectReason, type RowRejection } from './import-row';
import { sendBatch, type BatchOutcome } from './import-sender';
import { InputError } from '../input-error';
import type { ServiceTarget } from '../connection/service-error';

export interface ImportOptions {
  readonly file: string;
  readonly layout: ImportLayout;
  readonly rejectsPath: string;
  readonly checkpointPath: string;
  /** Ignore the checkpoint and import the whole file again (the store keeps one copy of each sighting). */
  readonly restart: boolean;
  /** Stop after this many rows in this run; the checkpoint then says where to go on. */
  readonly limit?: number | undefined;
  /** Rows per batch: the unit that is sent, acknowledged and checkpointed. */
  readonly batchSize: number;
  /** How far ahead of this machine's clock a sighting may be (the collector's limit). */
  readonly maxAheadSeconds: number;
  /** How far behind this machine's clock a sighting may be (the server's retention); unset: any age. */
  readonly maxAgeSeconds?: number | undefined;
  readonly client: collector.CollectorServiceClient;
  readonly target: ServiceTarget;
  /** Aborting stops reading; the batch in flight is still acknowledged and checkpointed. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (position: ImportPosition) => void;
}

export type ImportOutcome = 'complete' | 'already_imported' | 'limit_reached' | 'interrupted';

export interface ImportSummary {
  readonly file: string;
  readonly outcome: ImportOutcome;
  /** Whether this run continued where an earlier one's checkpoint left off. */
  readonly resumed: boolean;
  /** Line this run started at (after a header, or where the checkpoint left off). */
  readonly startLine: number;
  /** First line not yet imported: where a rerun resumes. */
  readonly nextLine: number;
  /** Data rows this run read; each is either stored or rejected. */
  readonly rowsRead: number;
  readonly stored: number;
  readonly rejected: number;
  readonly rejectedByReason: Partial<Record<RejectReason, number>>;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  /** The same counts from the start of the file, across interrupted runs. */
  readonly total: RowCounts;
  /** Present when some row of the file was rejected. */
  readonly rejectsFile?: string;
  readonly checkpointFile: string;
}

/** Batches sent and not yet acknowledged, at most. */
const BATCHES_IN_FLIGHT = 4;

interface Batch {
  readonly sightings: ImportSighting[];
  readonly rejected: RowRejection[];
  rowsRead: number;
  /** Just past the batch's last line. */
  end: { offset: number; nextLine: number };
}

/**
 * Imports a CSV log of sightings: reads it a line at a time from where the checkpoint
 * left off, checks each row locally (a bad row goes to the rejects file with its
 * reason), sends batches to the collector (the next batch is read while one is in
 * flight) and after each acknowledged batch saves the checkpoint.
 */
export async function importCsv(options: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const { file, layout } = options;
  const size = fileSize(file);
  const layoutKey = JSON.stringify(layout);
  // A restart forgets the old checkpoint at once: if it is interrupted early, the next run resumes the restart.
  if (options.restart) rmSync(options.checkpointPath, { force: true });
  const checkpoint = options.restart ? undefined : loadCheckpoint(options.checkpointPath);
  if (checkpoint !== undefined) {
    const mismatch = checkpointMismatch(checkpoint, file, size, layoutKey);
    if (mismatch !== undefined) {
      throw new InputError(
        `${file} ${mismatch} (${options.checkpointPath}); rerun with the same flags, ` +
          'or with --restart to import the file from its start (sightings already stored are not duplicated)',
      );
    }
  }
  const { columns, dataStart } = await readHeader(file, layout);
  const start: LineReadStart = checkpoint
    ? { offset: checkpoint.offset, lineNumber: checkpoint.nextLine }
    : dataStart;
  const before: RowCounts = checkpoint?.rows ?? { read: 0, stored: 0, rejected: 0 };
  const run = { read: 0, stored: 0, rejected: 0 };
  const rejectedByReason: Partial<Record<RejectReason, number>> = {};
  let position = { offset: start.offset, nextLine: start.lineNumber };
  const summary = (outcome: ImportOutcome): ImportSummary => {
    const seconds = (Date.now() - started) / 1000;
    const total = {
      read: before.read + run.read,
      stored: before.stored + run.stored,
      rejected: before.rejected + run.rejected,
    };
    return {
      file,
      outcome,
      resumed: checkpoint !== undefined,
      startLine: start.lineNumber,
      nextLine: position.nextLine,
      rowsRead: run.read,
      stored: run.stored,
      rejected: run.rejected,
      rejectedByReason,
      seconds,
      rowsPerSecond: seconds > 0 ? run.read / seconds : run.read,
      total,
      ...(total.rejected > 0 ? { rejectsFile: options.rejectsPath } : {}),
      checkpointFile: options.checkpointPath,
    };
  };
  if (checkpoint !== undefined && checkpoint.offset >= size) return summary('already_imported');

  const head = fileHead(file);
  const rejects = checkpoint
    ? RejectsFile.resumed(options.rejectsPath, checkpoint.rejectsBytes)
    : RejectsFile.fresh(options.rejectsPath);
  /** Books a batch the collector acknowledged (called in file order) and moves the checkpoint past it. */
  const record = (batch: Batch, outcome: BatchOutcome) => {
    const rejected = [...batch.rejected, ...outcome.rejected].sort((a, b) => a.line - b.line);
    rejects.write(rejected);
    run.read += batch.rowsRead;
    run.stored += outcome.stored;
    run.rejected += rejected.length;
    for (const rejection of rejected) {
      rejectedByReason[rejection.reason] = (rejectedByReason[rejection.reason] ?? 0) + 1;
    }
    position = batch.end;
    saveCheckpoint(options.checkpointPath, {
      version: 1,
      file: head,
      layout: layoutKey,
      offset: batch.end.offset,
      nextLine: batch.end.nextLine,
      rows: {
        read: before.read + run.read,
        stored: before.stored + run.stored,
        rejected: before.rejected + run.rejected,
      },
      rejectsBytes: rejects.bytes,
      savedAt: new Date().toISOString(),
    });
  };

  // Several batches in flight keep the collector busy while each waits for its commit;
  // they are booked strictly in file order, so the checkpoint never passes an unacknowledged row.
  const inFlight: Promise<void>[] = [];
  let lastBooked: Promise<void> = Promise.resolve();
  let queuedEnd = position;
  const send = async (batch: Batch) => {
    queuedEnd = batch.end;
    const sent = sendBatch(options.client, options.target, batch.sightings);
    const previous = lastBooked;
    const booked = (async () => {
      const outcome = await sent;
      await previous;
      record(batch, outcome);
    })();
    // Awaited below in turn; until then a failure must not count as unhandled.
    booked.catch(() => undefined);
    lastBooked = booked;
    inFlight.push(booked);
    if (inFlight.length >= BATCHES_IN_FLIGHT) await inFlight.shift();
  };
  const newBatch = (): Batch => ({
    sightings: [],
    rejected: [],
    rowsRead: 0,
    end: position,
  });
  let batch = newBatch();
  let readThisRun = 0;
  let limitReached = false;
  let bounds = timeBounds(options);
  try {
    reading: for await (const lines of readFileLines(file, start)) {
      for (const line of lines) {
        if (options.signal?.aborted) break reading;
        if (options.limit !== undefined && readThisRun >= options.limit) {
          limitReached = true;
          break reading;
        }
        batch.end = { offset: line.end, nextLine: line.number + 1 };
        // Blank lines (a trailing one, a separator) hold no row.
        if (line.text.trim() === '') continue;
        readThisRun += 1;
        batch.rowsRead += 1;
        const parsed = parseRow(line, layout, columns, bounds);
        if (parsed.ok) batch.sightings.push(parsed.sighting);
        else batch.rejected.push(parsed.rejection);
        if (batch.rowsRead >= options.batchSize) {
          await send(batch);
          batch = newBatch();
          batch.end = { offset: line.end, nextLine: line.number + 1 };
          bounds = timeBounds(options);
        }
      }
      const last = lines[lines.length - 1]!;
      options.onProgress?.({
        bytesDone: last.end,
        bytesTotal: size,
        rowsRead: run.read + batch.rowsRead,
        rejected: run.rejected + batch.rejected.length,
        rowsPerSecond: readThisRun / Math.max(0.001, (Date.now() - started) / 1000),
      });
    }
    if (batch.end.offset > queuedEnd.offset) await send(batch);
    await lastBooked;
  } finally {
    rejects.close();
  }
  if (options.signal?.aborted) return summary('interrupted');
  return summary(limitReached ? 'limit_reached' : 'complete');
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      code === 'ENOENT'
        ? `${file}: no such file; give the path of a CSV log`
        : `${file}: cannot read it (${code})`,
    );
  }
}

/** The columns as the header (or the column numbers) place them, and where the data rows begin. */
async function readHeader(
  file: string,
  layout: ImportLayout,
): Promise<{ columns: LocatedColumns; dataStart: LineReadStart }> {
  if (!layout.header)
    return { columns: locateColumns(layout, undefined), dataStart: { offset: 0, lineNumber: 1 } };
  let header: FileLine | undefined;
  for await (const lines of readFileLines(file)) {
    header = lines[0];
    break;
  }
  if (header === undefined || header.text.trim() === '') {
    throw new InputError(
      `${file} has no header line; pass --no-header if its first line is already a sighting`,
    );
  }
  let names: string[];
  try {
    names = splitCsvLine(header.text, layout.delimiter);
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new InputError(`the header line of ${file}: ${error.message}`);
    throw error;
  }
  return { columns: locateColumns(layout, names), dataStart: { offset: header.end, lineNumber: 2 } };
}

function timeBounds(options: Pick<ImportOptions, 'maxAheadSeconds' | 'maxAgeSeconds'>): EventTimeBounds {
  const { maxAheadSeconds, maxAgeSeconds } = options;
  return {
    now: BigInt(Date.now()) * NANOS_PER_MILLISECOND,
    maxAheadSeconds,
    ...(maxAgeSeconds === undefined ? {} : { maxAgeSeconds }),
  };
}
