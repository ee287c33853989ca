import type { DetectorId } from '@message-bus/domain';
import { StoreInvalidArgumentError, type Order } from '@message-bus/repository';
import { checkIdSegment } from '../keys/key-segment';

/** Checks of query arguments, each throwing `StoreInvalidArgumentError` naming the field. */

export function checkDetectorIds(detectorIds: unknown, field: string): DetectorId[] {
  if (!Array.isArray(detectorIds))
    throw new StoreInvalidArgumentError(`${field}: must be an array of detector ids`);
  return detectorIds.map((id, index) => checkIdSegment(id, `${field}[${index}]`) as DetectorId);
}

/** A limit: undefined (no limit) or a whole number ≥ 0. */
export function checkLimit(limit: unknown, field: string): number | undefined {
  if (limit === undefined) return undefined;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) {
    throw new StoreInvalidArgumentError(`${field}: ${String(limit)} is not a whole number ≥ 0`);
  }
  return limit;
}

export function checkOrder(order: unknown, defaultOrder: Order): Order {
  if (order === undefined) return defaultOrder;
  if (order !== 'newest_first' && order !== 'oldest_first') {
    throw new StoreInvalidArgumentError(
      `order: ${JSON.stringify(order)} is not newest_first or oldest_first`,
    );
  }
  return order;
}
