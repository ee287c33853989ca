import { statfs } from 'node:fs/promises';
import {
  StoreError,
  StoreInvalidArgumentError,
  StoreQuotaExhaustedError,
  StoreUnavailableError,
} from '@message-bus/repository';

/** The map (or the disk under it) is full: lmdb's MDB_MAP_FULL, or the OS's ENOSPC while growing the file. */
const outOfSpace = /MDB_MAP_FULL|mapsize limit reached|ENOSPC|No space left on device|MDB_TXN_FULL/;

/** lmdb's word for a short write, which is how a filesystem that fills mid-commit shows. */
const ioError = /Input\/output error|EIO/;

/** Below this many free bytes on the store's filesystem, an I/O error while writing is a full disk. */
const nearlyFullBytes = 1024 * 1024;

/** Keys and values lmdb refuses as given; sending them again cannot help. */
const invalidRequest = /zero length key|Key size is larger|MDB_BAD_VALSIZE|Invalid key/;

/**
 * Turns whatever lmdb-js threw into the port's typed errors. The one place that knows
 * lmdb's error vocabulary; everything else throws what this returns.
 *
 * @param path the store's directory, named in the message so an operator knows which store failed
 */
export function toStoreError(error: unknown, path: string): StoreError {
  if (error instanceof StoreError) return error;
  const detail = describe(error);
  const cause = { cause: error };
  if (outOfSpace.test(detail)) {
    return new StoreQuotaExhaustedError(`lmdb store at ${path} is out of space: ${detail}`, cause);
  }
  if (invalidRequest.test(detail)) {
    return new StoreInvalidArgumentError(`lmdb store at ${path} rejected the request: ${detail}`, cause);
  }
  // A closed environment, an I/O error: nothing is known to be written, and the same
  // call may succeed once the store is opened again or the disk recovers.
  return new StoreUnavailableError(`lmdb store at ${path} failed: ${detail}`, cause);
}

/**
 * Like {@link toStoreError}, for a failed write transaction. lmdb-js rejects a failed
 * commit with a generic "Commit failed" error and puts the cause (ENOSPC, EIO) in its
 * `commitError` promise; observing that promise here also keeps its rejection from
 * going unhandled, which would end the process. lmdb reports a short write as EIO, so
 * an I/O error on a filesystem with almost no space left counts as out of space.
 */
export async function toWriteError(error: unknown, path: string): Promise<StoreError> {
  const cause = await commitFailureCause(error);
  const failure = toStoreError(cause, path);
  if (!(failure instanceof StoreUnavailableError) || !ioError.test(describe(cause))) return failure;
  const free = await freeBytes(path);
  if (free === undefined || free >= nearlyFullBytes) return failure;
  return new StoreQuotaExhaustedError(
    `lmdb store at ${path} is out of space: ${describe(cause)} with ${free} bytes free on its filesystem`,
    { cause },
  );
}

/**
 * The cause lmdb-js gives a failed commit, or `error` itself. lmdb-js has rejected
 * `commitError` by the time the commit's callers hear of the failure; racing it with a
 * settled promise reads it without ever waiting on it.
 */
async function commitFailureCause(error: unknown): Promise<unknown> {
  const commitError: unknown = (error as { commitError?: unknown } | null | undefined)?.commitError;
  if (!(commitError instanceof Promise)) return error;
  try {
    await Promise.race([commitError, Promise.resolve()]);
    return error;
  } catch (cause) {
    return cause;
  }
}

async function freeBytes(path: string): Promise<number | undefined> {
  try {
    const { bavail, bsize } = await statfs(path);
    return bavail * bsize;
  } catch {
    return undefined; // unknown: the I/O error stays what it says
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
