import type { Coordinates, DetectorId, DetectorStatus } from '@message-bus/domain';
import type { DetectorCoordinates, DetectorRepository, StatusQuery } from '@message-bus/repository';
import { decodeCoordinatesValue, encodeCoordinatesValue } from '../values/coordinates-value';
import { checkIdSegment } from '../keys/key-segment';
import { toKeyTimeRange } from '../keys/key-time';
import { accept } from '../parsed';
import { decodeEntries, getDecoded, listDecoded } from './decoded-records';
import type { KvStore } from './kv-store';
import { checkLimit, checkOrder } from './query-checks';
import { decodeStatusValue, encodeStatusValue } from '../values/status-value';
import { TimeWindowExpiries } from './time-window-expiries';

export class KvDetectorRepository implements DetectorRepository {
  constructor(
    private readonly store: KvStore,
    /** How long status reports are kept; coordinates never expire. */
    private readonly statusRetentionSeconds: number,
  ) {}

  async putCoordinates(entry: DetectorCoordinates): Promise<void> {
    const key = this.store.keyspace.coordinatesKey(entry.detectorId);
    await this.store.write([{ key, value: encodeCoordinatesValue(entry.coordinates) }]);
  }

  async getCoordinates(detectorId: DetectorId): Promise<Coordinates | undefined> {
    const key = this.store.keyspace.coordinatesKey(detectorId);
    return getDecoded(this.store, key, 'coordinates', decodeCoordinatesValue);
  }

  /** Key order is detector id order here: nothing follows the id in the key. */
  async listCoordinates(): Promise<DetectorCoordinates[]> {
    const { keyspace } = this.store;
    return listDecoded(this.store, keyspace.coordinatesRoot, {
      keyName: 'coordinates key',
      valueName: 'coordinates',
      parseKey: (key) => keyspace.parseCoordinatesKey(key),
      decodeValue: (bytes, detectorId) => {
        const coordinates = decodeCoordinatesValue(bytes);
        return coordinates.ok ? accept({ detectorId, coordinates: coordinates.value }) : coordinates;
      },
    });
  }

  async appendStatus(status: DetectorStatus): Promise<void> {
    const key = this.store.keyspace.statusKey(status);
    const expiry = new TimeWindowExpiries(this.statusRetentionSeconds).of(key, status.time);
    await this.store.write([{ key, value: encodeStatusValue(status), expiry }]);
  }

  async listStatus(query: StatusQuery): Promise<DetectorStatus[]> {
    const { keyspace, malformed } = this.store;
    const detectorId = checkIdSegment(query.detectorId, 'detectorId');
    const limit = checkLimit(query.limit, 'limit');
    const order = checkOrder(query.order, 'newest_first');
    const range = toKeyTimeRange(query.range);
    const reports: DetectorStatus[] = [];
    if (range === undefined || limit === 0) return reports;
    const keyRange = { ...keyspace.statusRange(detectorId, range), reverse: order === 'newest_first' };
    for await (const status of decodeEntries(this.store.scan(keyRange, limit), malformed, {
      keyName: 'status key',
      valueName: 'status',
      parseKey: (key) => keyspace.parseStatusKey(key),
      decodeValue: decodeStatusValue,
    })) {
      reports.push(status);
      if (reports.length === limit) break;
    }
    return reports;
  }
}
