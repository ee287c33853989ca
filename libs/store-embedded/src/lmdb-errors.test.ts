import {
  StoreInvalidArgumentError,
  StoreQuotaExhaustedError,
  StoreUnavailableError,
} from '@message-bus/repository';
import { describe, expect, test } from 'vitest';
import { tmpdir } from 'node:os';
import { toStoreError, toWriteError } from './lmdb-errors';

const path = '/var/lib/message-bus/store';

/** A failed commit as lmdb-js reports it: a generic error, the cause in a rejected `commitError`. */
function failedCommit(cause: Error): Error {
  const commitError = Promise.reject(cause);
  return Object.assign(new Error('Commit failed (see commitError for details)'), { commitError });
}

describe('toStoreError', () => {
  test('a full map or disk is quota exhausted, not retryable, keeping the cause', () => {
    const full = new Error('MDB_MAP_FULL: Environment mapsize limit reached');
    const error = toStoreError(full, path);

    expect(error).toBeInstanceOf(StoreQuotaExhaustedError);
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(`lmdb store at ${path} is out of space: ${full.message}`);
    expect(error.cause).toBe(full);
    expect(toStoreError(new Error('ENOSPC: No space left on device, write'), path)).toBeInstanceOf(
      StoreQuotaExhaustedError,
    );
  });

  test('keys lmdb refuses are invalid arguments', () => {
    for (const message of [
      'Key size is larger than the maximum key size (1978)',
      'Invalid key or zero length key is not allowed in LMDB ',
      'MDB_BAD_VALSIZE: Unsupported size of key/DB name/data, or wrong DUPFIXED size',
    ]) {
      expect(toStoreError(new Error(message), path)).toBeInstanceOf(StoreInvalidArgumentError);
    }
  });

  test('a closed environment or anything else is unavailable and retryable', () => {
    const closed = toStoreError(new Error('The environment is already closed.'), path);
    expect(closed).toBeInstanceOf(StoreUnavailableError);
    expect(closed.retryable).toBe(true);
    expect(closed.message).toBe(`lmdb store at ${path} failed: The environment is already closed.`);
    expect(toStoreError('EIO', path).message).toBe(`lmdb store at ${path} failed: EIO`);
  });

  test("the port's own errors pass through unchanged", () => {
    const own = new StoreInvalidArgumentError('records[0].key must be a non-empty string');
    expect(toStoreError(own, path)).toBe(own);
  });
});

describe('toWriteError', () => {
  test("a failed commit is typed by lmdb-js's cause in commitError", async () => {
    const full = new Error('No space left on device: Attempting to write page at position 4190208');
    const error = await toWriteError(failedCommit(full), path);
    expect(error).toBeInstanceOf(StoreQuotaExhaustedError);
    expect(error.message).toBe(`lmdb store at ${path} is out of space: ${full.message}`);
    expect(error.cause).toBe(full);
  });

  test('an I/O error on a filesystem with room left stays unavailable', async () => {
    const error = await toWriteError(failedCommit(new Error('Input/output error')), tmpdir());
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toBe(`lmdb store at ${tmpdir()} failed: Input/output error`);
  });

  test('any other write error is typed as toStoreError types it', async () => {
    const closed = new Error('The environment is already closed.');
    expect(await toWriteError(closed, path)).toEqual(toStoreError(closed, path));
  });
});
