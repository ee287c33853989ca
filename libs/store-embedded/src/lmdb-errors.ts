import {
  StoreError,
  StoreInvalidArgumentError,
  StoreQuotaExhaustedError,
  StoreUnavailableError,
} from '@message-bus/repository';

/** The map (or the disk under it) is full: lmdb's MDB_MAP_FULL, or the OS's ENOSPC while growing the file. */
const outOfSpace = /MDB_MAP_FULL|mapsize limit reached|ENOSPC|No space left on device|MDB_TXN_FULL/;

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
  const detail = error instanceof Error ? error.message : String(error);
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
