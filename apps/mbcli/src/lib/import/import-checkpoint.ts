import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { InputError } from '../input-error';

/** Row counts of an import, from the start of the file. */
export interface RowCounts {
  readonly read: number;
  readonly stored: number;
  readonly rejected: number;
}

/**
 * How far an import got: every line before `offset` was read, and its sightings were
 * acknowledged by the collector (or its rejects written). Saved after each batch, so an
 * interrupted import resumes at the first line not yet acknowledged.
 */
export interface ImportCheckpoint {
  readonly version: 1;
  /** Recognises the file: a hash of its first `headBytes` bytes (a log that grows keeps its head). */
  readonly file: { readonly headBytes: number; readonly headSha256: string };
  /** The column layout the rows were read with; resuming with another one would mix two readings. */
  readonly layout: string;
  /** Byte offset of the first line not yet imported. */
  readonly offset: number;
  /** Its line number. */
  readonly nextLine: number;
  readonly rows: RowCounts;
  /** Length of the rejects file when this checkpoint was saved; a resumed run cuts it back to this. */
  readonly rejectsBytes: number;
  readonly savedAt: string;
}

/** Enough of a file's start to tell one log from another, and little enough to hash at once. */
const HEAD_BYTES = 64 * 1024;

export function fileHead(path: string, bytes = HEAD_BYTES): ImportCheckpoint['file'] {
  const buffer = Buffer.alloc(bytes);
  const fd = openSync(path, 'r');
  try {
    const read = readSync(fd, buffer, 0, bytes, 0);
    return {
      headBytes: read,
      headSha256: createHash('sha256').update(buffer.subarray(0, read)).digest('hex'),
    };
  } finally {
    closeSync(fd);
  }
}

export function loadCheckpoint(path: string): ImportCheckpoint | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = parseJson(text);
  if (!isCheckpoint(parsed)) {
    throw new InputError(
      `the import checkpoint ${path} is not one mbcli wrote; delete it or pass --restart to import from the start`,
    );
  }
  return parsed;
}

/** Writes the checkpoint whole or not at all (a temp file renamed over it), so a crash never leaves half of one. */
export function saveCheckpoint(path: string, checkpoint: ImportCheckpoint): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(checkpoint, null, 2)}\n`);
  renameSync(temporary, path);
}

/** Why `checkpoint` cannot be resumed on the file at `path` as it is now, or undefined when it can. */
export function checkpointMismatch(
  checkpoint: ImportCheckpoint,
  path: string,
  size: number,
  layout: string,
): string | undefined {
  if (size < checkpoint.offset)
    return `is shorter than where the checkpoint left off (byte ${checkpoint.offset})`;
  const head = fileHead(path, checkpoint.file.headBytes);
  if (head.headBytes !== checkpoint.file.headBytes || head.headSha256 !== checkpoint.file.headSha256) {
    return 'does not start as the file the checkpoint was made from';
  }
  if (checkpoint.layout !== layout) return 'was being imported with other column, time or kind flags';
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isCheckpoint(value: unknown): value is ImportCheckpoint {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<ImportCheckpoint>;
  const isCount = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  return (
    candidate.version === 1 &&
    typeof candidate.file?.headSha256 === 'string' &&
    isCount(candidate.file.headBytes) &&
    typeof candidate.layout === 'string' &&
    isCount(candidate.offset) &&
    isCount(candidate.nextLine) &&
    isCount(candidate.rows?.read) &&
    isCount(candidate.rows?.stored) &&
    isCount(candidate.rows?.rejected) &&
    isCount(candidate.rejectsBytes)
  );
}
