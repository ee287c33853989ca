import {
  StoreError,
  StoreInvalidArgumentError,
  StoreQuotaExhaustedError,
  StoreUnavailableError,
} from '@message-bus/repository';
import { GRPCInvalidArgumentError } from 'etcd3';

/** etcd's NOSPACE alarm: the backend database reached `--quota-backend-bytes`. */
const quotaExhausted = /database space exceeded/;

/** A watch or a paged scan asked for history that compaction already removed. */
const compacted = /required revision has been compacted/;

/** Requests etcd refuses as given; sending them again cannot help. */
const invalidRequest =
  /request is too large|too many operations in txn request|duplicate key given in txn request|larger than max|key is not provided/;

/** What a write refused for etcd's NOSPACE alarm says, and what an operator does about it. */
export function outOfSpace(endpoints: readonly string[]): string {
  return `etcd at ${endpoints.join(', ')} is out of space (NOSPACE alarm; compact, defragment and disarm it)`;
}

/**
 * Turns whatever etcd3 or grpc-js threw into the port's typed errors. The one place that
 * knows etcd's error vocabulary; everything else throws what this returns.
 *
 * @param endpoints named in the message, so an operator knows which etcd failed
 */
export function toStoreError(error: unknown, endpoints: readonly string[]): StoreError {
  if (error instanceof StoreError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const cause = { cause: error };
  if (quotaExhausted.test(detail)) {
    return new StoreQuotaExhaustedError(`${outOfSpace(endpoints)}: ${detail}`, cause);
  }
  if (compacted.test(detail)) {
    // Retryable: starting the watch or scan again reads from the current revision.
    return new StoreUnavailableError(
      `etcd at ${endpoints.join(', ')} compacted away revisions a watch or scan still needed: ${detail}`,
      cause,
    );
  }
  if (error instanceof GRPCInvalidArgumentError || invalidRequest.test(detail)) {
    return new StoreInvalidArgumentError(
      `etcd at ${endpoints.join(', ')} rejected the request: ${detail}`,
      cause,
    );
  }
  // Unavailable, deadline exceeded, an open circuit breaker, no leader, a closed client:
  // nothing is known to be written, and the same call may succeed later.
  return new StoreUnavailableError(`etcd at ${endpoints.join(', ')} is unreachable: ${detail}`, cause);
}
