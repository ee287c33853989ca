import type { KvBackend, KvEntry, KvHealth, KvRange, KvRecord } from '@message-bus/store-kv';
import { EtcdLeaseInvalidError, Etcd3, type IRequestOp, type IRangeRequest } from 'etcd3';
import {
  resolveOptions,
  type EtcdBackendOptions,
  type ResolvedEtcdBackendOptions,
} from './etcd-backend-options';
import { toStoreError } from './etcd-errors';
import { EtcdWatch } from './etcd-watch';
import { ExpiryLeases } from './expiry-leases';
import { defaultFaultHandling } from './fault-handling';
import { splitIntoTxns, type EncodedPut } from './txn-batches';

/**
 * The ordered-KV backend on etcd. Writes go out as transactions of bounded size, several
 * in flight; reads are paginated; expiring records share one lease per expiry time;
 * watches resume by revision after a lost connection.
 */
export class EtcdBackend implements KvBackend {
  private readonly options: ResolvedEtcdBackendOptions;
  private readonly client: Etcd3;
  private readonly ownsClient: boolean;
  private readonly leases: ExpiryLeases;
  private readonly watches = new Set<EtcdWatch>();
  /** Revision look-ups of watches being started; puts wait for them (see `watch`). */
  private readonly watchStarts = new Set<Promise<unknown>>();
  private readonly pendingPuts = new Set<Promise<void>>();
  private closed = false;

  constructor(options: EtcdBackendOptions) {
    this.options = resolveOptions(options);
    this.ownsClient = options.client === undefined;
    this.client =
      options.client ??
      new Etcd3({
        ...options.clientOptions,
        hosts: [...this.options.hosts],
        faultHandling: {
          ...defaultFaultHandling(this.options.hosts.length),
          ...options.clientOptions?.faultHandling,
        },
      });
    this.leases = new ExpiryLeases(
      async (ttlSeconds) =>
        (await this.client.leaseClient.leaseGrant({ TTL: ttlSeconds }, this.callOptions())).ID,
      this.options.minLeaseTtlSeconds,
    );
  }

  put(records: readonly KvRecord[]): Promise<void> {
    const done = this.putAll(records).catch((error: unknown) => {
      throw this.storeError(error);
    });
    const tracked = done.catch(() => undefined);
    this.pendingPuts.add(tracked);
    void tracked.finally(() => this.pendingPuts.delete(tracked));
    return done;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const response = await this.client.kv.range({ key: Buffer.from(key, 'utf8') }, this.callOptions());
      const value = response.kvs[0]?.value;
      return value && toUint8Array(value);
    } catch (error) {
      throw this.storeError(error);
    }
  }

  async *scan(range: KvRange): AsyncIterable<KvEntry> {
    let start: Buffer = Buffer.from(range.start, 'utf8');
    let end: Buffer = Buffer.from(range.end, 'utf8');
    let remaining = range.limit ? range.limit : Infinity;
    // Pages after the first read the first page's revision: one consistent snapshot.
    let revision: string | undefined;
    while (remaining > 0 && Buffer.compare(start, end) < 0) {
      const request: IRangeRequest = {
        key: start,
        range_end: end,
        limit: Math.min(this.options.pageSize, remaining),
        ...(revision === undefined ? {} : { revision }),
        ...(range.reverse ? { sort_order: 'Descend', sort_target: 'Key' } : {}),
      };
      let page;
      try {
        page = await this.client.kv.range(request, this.callOptions());
      } catch (error) {
        throw this.storeError(error);
      }
      revision ??= page.header.revision;
      for (const kv of page.kvs) yield { key: kv.key.toString('utf8'), value: toUint8Array(kv.value) };
      remaining -= page.kvs.length;
      const last = page.kvs[page.kvs.length - 1];
      if (!page.more || !last) return;
      if (range.reverse) end = last.key;
      else start = Buffer.concat([last.key, zeroByte]);
    }
  }

  async deleteRange(start: string, end: string): Promise<number> {
    const key = Buffer.from(start, 'utf8');
    const rangeEnd = Buffer.from(end, 'utf8');
    // An empty range_end would make etcd delete the single key `start`.
    if (Buffer.compare(key, rangeEnd) >= 0) return 0;
    try {
      const response = await this.client.kv.deleteRange({ key, range_end: rangeEnd }, this.callOptions());
      return Number(response.deleted);
    } catch (error) {
      throw this.storeError(error);
    }
  }

  /**
   * Starts at once, not on first iteration: the store revision is read now and every put
   * committed after it is delivered. Puts through this backend wait until that read is
   * done, so a put issued after `watch()` returns is always delivered.
   */
  watch(prefix: string, signal: AbortSignal): AsyncIterable<KvEntry> {
    const started = this.currentRevision().then((revision) => {
      if (signal.aborted || this.closed) return undefined;
      const stop = () => watch.stop();
      const watch = new EtcdWatch(
        this.client,
        prefix,
        revision,
        (error) => this.storeError(error),
        (ended) => {
          this.watches.delete(ended);
          signal.removeEventListener('abort', stop);
        },
      );
      this.watches.add(watch);
      signal.addEventListener('abort', stop, { once: true });
      return watch;
    });
    const tracked = started.catch(() => undefined);
    this.watchStarts.add(tracked);
    void tracked.finally(() => this.watchStarts.delete(tracked));
    return (async function* () {
      const watch = await started;
      if (watch) yield* watch;
    })();
  }

  async health(): Promise<KvHealth> {
    try {
      await this.client.kv.range(
        { key: Buffer.from('health', 'utf8'), count_only: true },
        { deadline: Date.now() + this.options.healthTimeoutMs },
      );
      return { reachable: true };
    } catch (error) {
      return { reachable: false, reason: this.storeError(error).message };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const watch of this.watches) watch.stop();
    await Promise.all(this.pendingPuts);
    if (this.ownsClient) this.client.close();
  }

  private async putAll(records: readonly KvRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (this.watchStarts.size > 0) await Promise.all(this.watchStarts);
    const txns = splitIntoTxns(records, this.options.maxOpsPerTxn, this.options.maxTxnBytes);
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (!failed && next < txns.length) {
        await this.commit(txns[next++]!).catch((error: unknown) => {
          failed = true; // the caller retries the whole batch, so stop sending more of it
          throw error;
        });
      }
    };
    const workers = Array.from({ length: Math.min(this.options.maxTxnsInFlight, txns.length) }, worker);
    // Wait for every worker before failing, so no txn of this call is still running.
    const results = await Promise.allSettled(workers);
    const rejection = results.find((result) => result.status === 'rejected');
    if (rejection) throw rejection.reason;
  }

  /** Commits one txn; re-grants leases once if etcd no longer knows one of them. */
  private async commit(puts: readonly EncodedPut[]): Promise<void> {
    try {
      await this.client.kv.txn({ success: await this.putOps(puts) }, this.callOptions());
    } catch (error) {
      if (!(error instanceof EtcdLeaseInvalidError)) throw error;
      for (const put of puts) if (put.expiresAt !== undefined) this.leases.forget(put.expiresAt);
      await this.client.kv.txn({ success: await this.putOps(puts) }, this.callOptions());
    }
  }

  private async putOps(puts: readonly EncodedPut[]): Promise<IRequestOp[]> {
    const leaseIds = new Map<number, string>();
    for (const put of puts) {
      if (put.expiresAt !== undefined && !leaseIds.has(put.expiresAt)) {
        leaseIds.set(put.expiresAt, await this.leases.idFor(put.expiresAt));
      }
    }
    return puts.map((put) => ({
      request_put: {
        key: put.key,
        value: put.value,
        ...(put.expiresAt === undefined ? {} : { lease: leaseIds.get(put.expiresAt) }),
      },
    }));
  }

  private async currentRevision(): Promise<bigint> {
    try {
      const response = await this.client.kv.range(
        { key: Buffer.from('revision', 'utf8'), count_only: true },
        this.callOptions(),
      );
      return BigInt(response.header.revision);
    } catch (error) {
      throw this.storeError(error);
    }
  }

  /** One absolute deadline per call, so etcd3's retries all fit inside it. */
  private callOptions(): { deadline: number } {
    return { deadline: Date.now() + this.options.callTimeoutMs };
  }

  private storeError(error: unknown): Error {
    return toStoreError(error, this.options.hosts);
  }
}

const zeroByte = Buffer.from([0]);

/** A plain Uint8Array view over a Buffer's bytes, without copying. */
function toUint8Array(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
