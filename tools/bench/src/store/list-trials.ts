import type { DetectorId } from '@message-bus/domain';
import type { KeyRange, KvRepository } from '@message-bus/store-kv';
import type { Etcd3 } from 'etcd3';
import type { RootDatabase } from 'lmdb';
import type { Trial } from '../measure';
import type { EventWorkload } from './workload';

/** What a list trial reads: one detector's hour, `repeats` times per timed run. */
export interface ListShape {
  readonly detectorId: DetectorId;
  /** Events stored for the detector in the hour; every read must return exactly these. */
  readonly events: number;
  readonly repeats: number;
}

/** `repository.events.list` of the detector-hour, newest first, every sighting decoded. */
export function repositoryList(
  id: string,
  repository: KvRepository,
  workload: EventWorkload,
  shape: ListShape,
): Trial {
  const query = { detectorIds: [shape.detectorId], range: workload.hour, order: 'newest_first' } as const;
  return timedRepeats(id, shape, async () => {
    let count = 0;
    for await (const _sighting of repository.events.list(query)) count += 1;
    return count;
  });
}

/**
 * The raw etcd3 baseline: the same key range in one range request, reversed in memory
 * to newest first (cheaper than asking etcd to sort, which etcd 3.4 does on the full range).
 */
export function rawEtcdList(id: string, client: Etcd3, range: KeyRange, shape: ListShape): Trial {
  const request = { key: Buffer.from(range.start, 'utf8'), range_end: Buffer.from(range.end, 'utf8') };
  return timedRepeats(id, shape, async () => (await client.kv.range(request)).kvs.reverse().length);
}

/** The raw lmdb baseline: the same key range walked backwards with `getRange`, keys and values read. */
export function rawLmdbList(
  id: string,
  db: RootDatabase<Buffer, Buffer>,
  range: KeyRange,
  shape: ListShape,
): Trial {
  const options = {
    start: Buffer.from(range.end, 'utf8'),
    end: Buffer.from(range.start, 'utf8'),
    reverse: true,
    exclusiveStart: true,
    inclusiveEnd: true,
  };
  return timedRepeats(id, shape, async () => {
    let count = 0;
    for (const { key, value } of db.getRange(options)) if (key.length > 0 && value.length > 0) count += 1;
    return count;
  });
}

/** A trial reading `shape.repeats` times per run, failing if a read returns the wrong number of events. */
function timedRepeats(id: string, shape: ListShape, read: () => Promise<number>): Trial {
  return {
    id,
    async prepare() {
      return async () => {
        for (let repeat = 0; repeat < shape.repeats; repeat += 1) {
          const count = await read();
          if (count !== shape.events)
            throw new Error(`${id}: read ${count} events, expected ${shape.events}`);
        }
      };
    },
  };
}
