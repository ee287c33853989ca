/**
 * The errors a repository may throw. Every adapter maps its own failures onto these,
 * so callers (the gRPC edge, the worker) decide on one vocabulary: a caller asks
 * `isRetryable(error)` instead of knowing etcd or lmdb error strings.
 */
export type StoreErrorCode = 'invalid_argument' | 'unavailable' | 'quota_exhausted';

export abstract class StoreError extends Error {
  abstract readonly code: StoreErrorCode;
  /** Whether the same call may succeed if tried again later, unchanged. */
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The request can never succeed as given (a bad range, an id that cannot be a key). */
export class StoreInvalidArgumentError extends StoreError {
  override readonly name = 'StoreInvalidArgumentError';
  readonly code = 'invalid_argument' as const;
  readonly retryable = false;
}

/** The store cannot be reached or did not answer in time; nothing is known to be written. */
export class StoreUnavailableError extends StoreError {
  override readonly name = 'StoreUnavailableError';
  readonly code = 'unavailable' as const;
  readonly retryable = true;
}

/** The store is out of space (etcd NOSPACE alarm, a full map); reads keep working. */
export class StoreQuotaExhaustedError extends StoreError {
  override readonly name = 'StoreQuotaExhaustedError';
  readonly code = 'quota_exhausted' as const;
  readonly retryable = false;
}

export function isRetryable(error: unknown): boolean {
  return error instanceof StoreError && error.retryable;
}
