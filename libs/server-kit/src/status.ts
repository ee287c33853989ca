import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { ValidationError } from '@message-bus/domain';
import {
  StoreInvalidArgumentError,
  StoreQuotaExhaustedError,
  StoreUnavailableError,
} from '@message-bus/repository';
import type { Logger } from './logger';

/**
 * A gRPC status a handler means to send: pass it to a unary callback, or
 * `call.destroy(error)` / `call.emit('error', error)` on a stream. grpc-js reads
 * `code`, `details` and `metadata` from it.
 */
export class GrpcStatusError extends Error {
  override readonly name = 'GrpcStatusError';
  readonly metadata: Metadata;

  constructor(
    readonly code: GrpcStatus,
    /** The sentence the client sees, e.g. `events: at most 10,000 sightings per log, got 12,001`. */
    readonly details: string,
    options: { metadata?: Metadata; cause?: unknown } = {},
  ) {
    super(details, { cause: options.cause });
    this.metadata = options.metadata ?? new Metadata();
  }
}

/**
 * THE mapping from errors to gRPC statuses; every handler sends its failures through it.
 *
 * - domain ValidationError, StoreInvalidArgumentError → INVALID_ARGUMENT with their message;
 * - StoreUnavailableError → UNAVAILABLE, StoreQuotaExhaustedError → RESOURCE_EXHAUSTED,
 *   with a fixed sentence (the cause may name hosts; it is logged as a warning instead);
 * - a GrpcStatusError, or any error already carrying a gRPC status `code`, passes through;
 * - anything else → INTERNAL "internal error", logged with its stack, nothing leaked.
 */
export function toGrpcError(error: unknown, logger: Logger): GrpcStatusError {
  if (error instanceof GrpcStatusError) {
    return error;
  }
  if (error instanceof ValidationError || error instanceof StoreInvalidArgumentError) {
    return new GrpcStatusError(GrpcStatus.INVALID_ARGUMENT, error.message, { cause: error });
  }
  if (error instanceof StoreUnavailableError) {
    logger.warn({ err: error }, 'store unavailable');
    return new GrpcStatusError(GrpcStatus.UNAVAILABLE, 'store unavailable, try again later', {
      cause: error,
    });
  }
  if (error instanceof StoreQuotaExhaustedError) {
    logger.error({ err: error }, 'store out of space');
    return new GrpcStatusError(GrpcStatus.RESOURCE_EXHAUSTED, 'store is out of space', { cause: error });
  }
  if (hasGrpcCode(error)) {
    const details = typeof error.details === 'string' ? error.details : error.message;
    return new GrpcStatusError(error.code, details, {
      cause: error,
      ...(error.metadata instanceof Metadata ? { metadata: error.metadata } : {}),
    });
  }
  logger.error({ err: error }, 'unexpected error in a gRPC handler');
  return new GrpcStatusError(GrpcStatus.INTERNAL, 'internal error', { cause: error });
}

function hasGrpcCode(
  error: unknown,
): error is Error & { code: GrpcStatus; details?: unknown; metadata?: unknown } {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'number' &&
    Number.isInteger(error.code) &&
    error.code > GrpcStatus.OK &&
    error.code <= GrpcStatus.UNAUTHENTICATED
  );
}
