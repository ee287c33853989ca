import type { Sighting } from '@message-bus/domain';
import { eventBucket, type KvRepository } from '@message-bus/store-kv';
import type { Etcd3, IRequestOp } from 'etcd3';
import type { RootDatabase } from 'lmdb';
import type { Trial } from '../measure';
import { chunks, type EncodedEvent, type EventWorkload } from './workload';

/** The raw etcd3 baseline's shape, etcd's default `--max-txn-ops` and the backend's default concurrency. */
export const RAW_ETCD_OPS_PER_TXN = 128;
export const RAW_ETCD_TXNS_IN_FLIGHT = 8;

/** What an append trial writes: `events` sightings, `batchSize` per call, calls one after another. */
export interface AppendShape {
  readonly batchSize: number;
  readonly events: number;
}

/**
 * Work a raw baseline can take on, one piece at a time, to show where the repository's
 * time goes: the plain baseline does neither.
 */
export interface RawVariant {
  /** Derive keys and encode values inside the timed part (as the repository must), not before it. */
  readonly encodeTimed: boolean;
  /** etcd only: attach each put to its bucket's shared lease, as the repository does for retention. */
  readonly leases?: BucketLeases;
  /**
   * lmdb only: `transactionSync` instead of the asynchronous `transaction`. Faster for a
   * large batch, but the commit blocks the event loop, and concurrent calls get no
   * shared commit, so a server (and LmdbBackend) does not write this way.
   */
  readonly synchronous?: boolean;
}

export const plainRaw: RawVariant = { encodeTimed: false };

/** `repository.events.append` with each batch, awaited in turn: the port as a collector uses it. */
export function repositoryAppend(
  id: string,
  repository: KvRepository,
  contender: string,
  workload: EventWorkload,
  shape: AppendShape,
): Trial {
  return {
    id,
    async prepare(round) {
      const batches = chunks(
        workload.sightings(contender, shape.batchSize, round, shape.events),
        shape.batchSize,
      );
      return async () => {
        for (const batch of batches) await repository.events.append(batch);
      };
    },
  };
}

/**
 * The raw etcd3 client doing the fastest thing it can: each batch as transactions of at
 * most 128 puts, 8 in flight; in the plain variant built before the clock starts, with
 * no leases and no checks.
 */
export function rawEtcdAppend(
  id: string,
  client: Etcd3,
  contender: string,
  workload: EventWorkload,
  shape: AppendShape,
  variant: RawVariant = plainRaw,
): Trial {
  return {
    id,
    async prepare(round) {
      const sightings = workload.sightings(contender, shape.batchSize, round, shape.events);
      const leaseIds = variant.leases ? await variant.leases.grantFor(sightings) : undefined;
      const toTxns = (batch: readonly Sighting[]): IRequestOp[][] =>
        chunks(batch, RAW_ETCD_OPS_PER_TXN).map((txn) =>
          txn.map((sighting): IRequestOp => {
            const { key, value } = workload.encodeOne(sighting);
            const lease = leaseIds?.get(eventBucket(sighting.time));
            return { request_put: lease === undefined ? { key, value } : { key, value, lease } };
          }),
        );
      const batches = chunks(sightings, shape.batchSize);
      if (variant.encodeTimed) {
        return async () => {
          for (const batch of batches)
            await commitConcurrently(client, toTxns(batch), RAW_ETCD_TXNS_IN_FLIGHT);
        };
      }
      const encoded = batches.map(toTxns);
      return async () => {
        for (const txns of encoded) await commitConcurrently(client, txns, RAW_ETCD_TXNS_IN_FLIGHT);
      };
    },
  };
}

/** The original system's strategy: one etcd put per event, each awaited before the next. */
export function onePutPerEvent(id: string, client: Etcd3, workload: EventWorkload, events: number): Trial {
  return {
    id,
    async prepare(round) {
      const encoded = workload.encode(workload.sightings('put1', 1, round, events));
      return async () => {
        for (const { key, value } of encoded) await client.put(key).value(value).exec();
      };
    },
  };
}

/**
 * Raw lmdb: each batch's puts in one write transaction, awaited until flushed to disk
 * (what the backend acknowledges on); in the plain variant with keys and values encoded
 * before the clock starts.
 */
export function rawLmdbAppend(
  id: string,
  db: RootDatabase<Buffer, Buffer>,
  contender: string,
  workload: EventWorkload,
  shape: AppendShape,
  variant: RawVariant = plainRaw,
): Trial {
  return {
    id,
    async prepare(round) {
      const batches = chunks(
        workload.sightings(contender, shape.batchSize, round, shape.events),
        shape.batchSize,
      );
      const putAll = (events: () => Iterable<EncodedEvent>) => () => {
        for (const { key, value } of events()) db.put(key, value);
      };
      const write = async (events: () => Iterable<EncodedEvent>) => {
        if (variant.synchronous) db.transactionSync(putAll(events));
        else await db.transaction(putAll(events));
        await db.flushed;
      };
      if (variant.encodeTimed) {
        return async () => {
          for (const batch of batches)
            await write(() => batch.map((sighting) => workload.encodeOne(sighting)));
        };
      }
      const encoded = batches.map((batch) => workload.encode(batch));
      return async () => {
        for (const batch of encoded) await write(() => batch);
      };
    },
  };
}

/** One etcd lease per event bucket, granted before the clock starts and reused across rounds. */
export class BucketLeases {
  private readonly ids = new Map<number, string>();

  constructor(
    private readonly client: Etcd3,
    /** Long enough to outlive the run; e.g. a week. */
    private readonly ttlSeconds: number,
  ) {}

  /** The lease of each bucket the sightings fall in, granting the missing ones. */
  async grantFor(sightings: readonly Sighting[]): Promise<ReadonlyMap<number, string>> {
    for (const sighting of sightings) {
      const bucket = eventBucket(sighting.time);
      if (!this.ids.has(bucket)) {
        this.ids.set(bucket, await this.client.lease(this.ttlSeconds, { autoKeepAlive: false }).grant());
      }
    }
    return this.ids;
  }
}

async function commitConcurrently(
  client: Etcd3,
  txns: readonly IRequestOp[][],
  inFlight: number,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < txns.length) await client.kv.txn({ success: txns[next++]! });
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, txns.length) }, worker));
}
