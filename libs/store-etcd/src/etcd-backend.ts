import type { CallOptions } from '@grpc/grpc-js';
import type { KvBackend, KvEntry, KvHealth, KvRange, KvRecord, KvWatchEntry } from '@message-bus/store-kv';
import { EtcdLeaseInvalidError, Etcd3, type IRangeRequest } from 'etcd3';
import {
  resolveOptions,
  type EtcdBackendOptions,
  type ResolvedEtcdBackendOptions,
} from './etcd-backend-options';
import { outOfSpace, toStoreError } from './etcd-errors';
import { EtcdWatch, watchesRequireLeader } from './etcd-watch';
import { ExpiryLeases } from './expiry-leases';
import { EtcdFaultHandling, type EndpointState } from './fault-handling';
import { viewOf } from './buffer-view';
import { rangeReader, type RangePage, type RangeRead } from './range-reads';
import { encodeTxn, encodeTxns, fitInOneTxn, PutLease, txnSender, type LeaseOf, type Txn } from './txn-batches';

/**
 * The ordered-KV backend on etcd. Writes go out as transactions of bounded size, several
 * in flight; reads are paginated; expiring records share one lease per expiry time;
 * watches resume by revision after a lost connection.
 */
export class EtcdBackend implements KvBackend {
  /** etcd sorts a descending range whole before cutting it to the limit (see `scanPages`). */
  readonly reverseScanReadsWholeRange = true;
  private readonly options: ResolvedEtcdBackendOptions;
  private readonly client: Etcd3;
  private readonly ownsClient: boolean;
  /** Undefined when the caller gave the client, and with it its fault handling. */
  private readonly faultHandling: EtcdFaultHandling | undefined;
  /** Each lease once in the forms a put writes it, not per put. */
  private readonly leases: ExpiryLeases<PutLease>;
  private readonly readRangePage: RangeRead;
  /** Bytes a newest-first scan's read-ahead page may hold: a quarter of what the client accepts, at most 4 MiB. */
  private readonly readAheadPageBytes: number;
  private readonly sendTxn: (txn: Txn, options: CallOptions) => Promise<void>;
  private readonly watches = new Set<EtcdWatch>();
  /** Revision look-ups of watches being started; puts wait for them (see `watch`). */
  private readonly watchStarts = new Set<Promise<unknown>>();
  private readonly pendingPuts = new Set<Promise<void>>();
  private closed = false;

  constructor(options: EtcdBackendOptions) {
    this.options = resolveOptions(options);
    this.ownsClient = options.client === undefined;
    this.faultHandling = this.ownsClient
      ? new EtcdFaultHandling(this.options.hosts, this.options.callTimeoutMs, options.onEndpointState)
      : undefined;
    this.client =
      options.client ??
      new Etcd3({
        ...options.clientOptions,
        hosts: [...this.options.hosts],
        faultHandling: {
          ...this.faultHandling?.policies,
          ...options.clientOptions?.faultHandling,
        },
        grpcOptions: {
          [RECEIVE_LIMIT_OPTION]: OWN_CLIENT_RECEIVE_BYTES,
          ...options.clientOptions?.grpcOptions,
        },
        defaultCallOptions: watchesRequireLeader(options.clientOptions?.defaultCallOptions),
      });
    const receiveLimit = this.ownsClient
      ? receiveLimitOf(options.clientOptions?.grpcOptions?.[RECEIVE_LIMIT_OPTION])
      : GRPC_DEFAULT_RECEIVE_BYTES;
    this.readAheadPageBytes = Math.min(MAX_READ_AHEAD_PAGE_BYTES, receiveLimit / 4);
    this.readRangePage = rangeReader(this.client);
    this.sendTxn = txnSender(this.client);
    this.leases = new ExpiryLeases(
      async (ttlSeconds) =>
        new PutLease((await this.client.leaseClient.leaseGrant({ TTL: ttlSeconds }, this.callOptions())).ID),
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

  /** One txn of `maxOpsPerTxn` puts and about `maxTxnBytes`, as `put` cuts them. */
  putIsAtomic(records: readonly KvRecord[]): boolean {
    return fitInOneTxn(records, this.options.maxOpsPerTxn, this.options.maxTxnBytes);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const response = await this.client.kv.range({ key: Buffer.from(key, 'utf8') }, this.callOptions());
      const value = response.kvs[0]?.value;
      return value && viewOf(value);
    } catch (error) {
      throw this.storeError(error);
    }
  }

  async *scan(range: KvRange): AsyncGenerator<KvEntry> {
    for await (const page of this.scanPages(range)) yield* page;
  }

  /**
   * Pages of at most `pageSize` keys, all read at one revision (the first read's), so a
   * scan sees one consistent snapshot.
   *
   * Descending needs care: etcd 3.4 serves a sorted range by reading all of it, sorting,
   * and only then cutting it to the limit (etcdserver/apply.go, `Range`: "fetch
   * everything; sort and truncate afterwards"). So every descending page costs a read
   * of the whole rest of the range, and paging down a large range is quadratic. A
   * reverse scan that fits one page is one descending request; a longer one reads
   * ascending pages and hands out the newest `limit` entries reversed (holding at most
   * twice the limit, or the whole range when unlimited), unless the range is so much
   * larger than the limit that a few descending requests cost less. A descending request
   * asks for up to `ONE_REQUEST_DESCENDING_PAGES` pages (handed out in pages, and halved
   * if the client refuses the response), so a limit up to that is one request: etcd sorts
   * the range once and sends only the limit, where the ascending pass sends it all.
   */
  async *scanPages(range: KvRange): AsyncGenerator<readonly KvEntry[]> {
    const start = Buffer.from(range.start, 'utf8');
    const end = Buffer.from(range.end, 'utf8');
    if (Buffer.compare(start, end) >= 0) return;
    const limit = range.limit ? range.limit : Infinity;
    const { pageSize } = this.options;
    if (!range.reverse) {
      yield* this.entryPages(start, end, limit, false);
    } else if (limit <= this.requestKeys(true)) {
      yield* this.entryPages(start, end, limit, true);
    } else {
      // The first ascending page also says how many keys the range holds (etcd counts
      // the whole range in every response), so choosing costs no extra round trip.
      const first = await this.readRange(pageRequest(start, end, pageSize, false));
      if (first.entries.length === 0) return;
      if (limit !== Infinity && descendingRequestsCostLess(first.count, limit, this.requestKeys(true))) {
        yield* this.entryPages(start, end, limit, true, first.revision);
      } else {
        yield* this.lastOfAscendingPages(start, end, limit, first);
      }
    }
  }

  async compareAndSet(key: string, expected: Uint8Array, next: Uint8Array | undefined): Promise<boolean> {
    const keyBytes = Buffer.from(key, 'utf8');
    try {
      const response = await this.client.kv.txn(
        {
          compare: [{ key: keyBytes, target: 'Value', result: 'Equal', value: Buffer.from(expected) }],
          success: [
            next === undefined
              ? { request_delete_range: { key: keyBytes } }
              : { request_put: { key: keyBytes, value: Buffer.from(next) } },
          ],
        },
        this.callOptions(),
      );
      return response.succeeded;
    } catch (error) {
      throw this.storeError(error);
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
  watch(prefix: string, signal: AbortSignal): AsyncIterable<KvWatchEntry> {
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

  /**
   * Reachable when a read is answered; writes refused while etcd's NOSPACE alarm stands
   * (reads still work then, and only an operator's compact, defrag and disarm ends it).
   */
  async health(): Promise<KvHealth> {
    try {
      const callOptions = { deadline: Date.now() + this.options.healthTimeoutMs };
      const [, { alarms }] = await Promise.all([
        this.client.kv.range({ key: Buffer.from('health', 'utf8'), count_only: true }, callOptions),
        this.client.maintenance.alarm({ action: 'Get' }, callOptions),
      ]);
      if (alarms.some(({ alarm }) => alarm === 'Nospace')) {
        return { reachable: true, writesRefused: outOfSpace(this.options.hosts) };
      }
      return { reachable: true };
    } catch (error) {
      return { reachable: false, reason: this.storeError(error).message };
    }
  }

  /**
   * The circuit of each endpoint: `open` ones are skipped until a probe finds them
   * answering. Empty with a single endpoint (it has no circuit), a client the caller
   * gave, or a caller's own `faultHandling.host`.
   */
  endpointStates(): ReadonlyMap<string, EndpointState> {
    return this.faultHandling?.endpointStates() ?? new Map();
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
    const leaseIds = await this.leaseIdsOf(records);
    const txns = encodeTxns(records, this.options.maxOpsPerTxn, this.options.maxTxnBytes, leaseOf(leaseIds));
    let failed = false;
    const worker = async (): Promise<void> => {
      for (let txn = txns.next(); !failed && !txn.done; txn = txns.next()) {
        await this.commit(txn.value).catch((error: unknown) => {
          failed = true; // the caller retries the whole batch, so stop sending more of it
          throw error;
        });
      }
    };
    const workerCount = Math.min(
      this.options.maxTxnsInFlight,
      Math.ceil(records.length / this.options.maxOpsPerTxn),
    );
    const workers = Array.from({ length: workerCount }, worker);
    // Wait for every worker before failing, so no txn of this call is still running.
    const results = await Promise.allSettled(workers);
    const rejection = results.find((result) => result.status === 'rejected');
    if (rejection) throw rejection.reason;
  }

  /** Commits one txn; re-grants leases once if etcd no longer knows one of them. */
  private async commit(txn: Txn): Promise<void> {
    try {
      await this.sendTxn(txn, this.callOptions());
    } catch (error) {
      if (!(error instanceof EtcdLeaseInvalidError)) throw error;
      for (const { expiry } of txn.records)
        if (expiry !== undefined) this.leases.forget(expiry.atUnixSeconds);
      const renewed = encodeTxn(txn.records, leaseOf(await this.leaseIdsOf(txn.records)));
      await this.sendTxn(renewed, this.callOptions());
    }
  }

  /** The lease of every expiry time among `records`, granted where none is cached. */
  private async leaseIdsOf(records: readonly KvRecord[]): Promise<Map<number, PutLease>> {
    const leaseIds = new Map<number, PutLease>();
    // Records of one bucket share one expiry object: a repeat is skipped by identity.
    let previous: KvRecord['expiry'];
    for (const { expiry } of records) {
      if (expiry === undefined || expiry === previous) continue;
      previous = expiry;
      if (!leaseIds.has(expiry.atUnixSeconds)) {
        leaseIds.set(expiry.atUnixSeconds, await this.leases.idFor(expiry.atUnixSeconds));
      }
    }
    return leaseIds;
  }

  /** Pages in key order (descending from below `end` when `descending`), at most `limit` entries in all. */
  private async *entryPages(
    start: Buffer,
    end: Buffer,
    limit: number,
    descending: boolean,
    revision?: string,
  ): AsyncGenerator<KvEntry[]> {
    const first = await this.readRange(
      pageRequest(start, end, Math.min(this.requestKeys(descending), limit), descending, revision),
    );
    yield* this.rangePages(first, start, end, limit, descending);
  }

  /**
   * The last `limit` entries of the range from `first` (its first ascending page) on,
   * highest key first: read in ascending pages (each bounded and cheap to serve), keeping
   * only the newest `limit`, then handed out reversed in pages of `pageSize`.
   */
  private async *lastOfAscendingPages(
    start: Buffer,
    end: Buffer,
    limit: number,
    first: RangePage,
  ): AsyncGenerator<KvEntry[]> {
    let kept: KvEntry[] = [];
    // Nothing is handed out before the last page is read, so pages may grow to about
    // readAheadPageBytes each: fewer round trips, every response still bounded.
    const pages = this.rangePages(first, start, end, Infinity, false, this.readAheadPageBytes);
    for await (const entries of pages) {
      for (const entry of entries) kept.push(entry);
      // Trimmed now and then rather than per page: at most twice the limit is held.
      if (kept.length > 2 * limit) kept = kept.slice(-limit);
    }
    const newestFirst = kept.slice(-limit).reverse();
    const { pageSize } = this.options;
    for (let from = 0; from < newestFirst.length; from += pageSize) {
      yield newestFirst.slice(from, from + pageSize);
    }
  }

  /**
   * The entries of `first` (a page read from `start`, or down from `end` when
   * `descending`) and of the pages after it, each read when the caller asks for it, at
   * most `limit` entries in all; every later page reads `first`'s revision, so the scan
   * sees one snapshot. Never yields an empty page. With `growToBytes`, a later page
   * holds as many keys as the first page's entry size says fit in that many bytes,
   * between `pageSize` and `MAX_PAGE_GROWTH` times it.
   */
  private async *rangePages(
    first: RangePage,
    start: Buffer,
    end: Buffer,
    limit: number,
    descending: boolean,
    growToBytes?: number,
  ): AsyncGenerator<KvEntry[]> {
    let { pageSize } = this.options;
    let remaining = limit;
    let upper = end;
    for (let page = first; ;) {
      remaining -= page.entries.length;
      yield* inPagesOf(page.entries, this.options.pageSize);
      const last = page.lastKey;
      if (!page.more || last === undefined || remaining <= 0) return;
      if (growToBytes !== undefined)
        pageSize = grownPageSize(page.entries, growToBytes, this.options.pageSize);
      // Ascending, the next page starts at the smallest key after the last one.
      const lower = descending ? start : Buffer.concat([last, Buffer.alloc(1)]);
      if (descending) upper = last;
      const keys = descending ? this.requestKeys(true) : pageSize;
      page = await this.readRange(
        pageRequest(lower, upper, Math.min(keys, remaining), descending, first.revision),
      );
    }
  }

  /**
   * One page. A response larger than the client accepts (values far larger than a page
   * was sized for) is asked for again with half as many keys, down to one; the pages
   * after it continue from its last key as usual.
   */
  private async readRange(request: IRangeRequest): Promise<RangePage> {
    for (let attempt = request; ;) {
      try {
        return await this.readRangePage(attempt, this.callOptions());
      } catch (error) {
        const limit = Number(attempt.limit);
        if (!responseTooLarge(error) || !(limit > 1)) throw this.storeError(error);
        attempt = { ...attempt, limit: Math.floor(limit / 2) };
      }
    }
  }

  /**
   * Keys one range request asks for: a page ascending; descending, where etcd sorts the
   * whole rest of the range for every request, `ONE_REQUEST_DESCENDING_PAGES` pages.
   */
  private requestKeys(descending: boolean): number {
    return descending ? this.options.pageSize * ONE_REQUEST_DESCENDING_PAGES : this.options.pageSize;
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

/**
 * What handing one entry to the caller costs (transfer, decoding) against what one key
 * of a sorted range costs etcd, measured on etcd 3.4 with event-sized records: 10 µs
 * against 0.6 µs. A descending page reads the whole rest of the range; an ascending
 * read of the whole range hands out every entry.
 */
const ENTRY_TO_SORTED_KEY_COST = 16;

/** Whether descending requests of `requestKeys` read the newest `limit` of `count` keys more cheaply than one ascending pass. */
function descendingRequestsCostLess(count: number, limit: number, requestKeys: number): boolean {
  const wanted = Math.min(limit, count);
  let sortedKeys = 0;
  for (let read = 0; read < wanted; read += requestKeys) sortedKeys += count - read;
  return sortedKeys + ENTRY_TO_SORTED_KEY_COST * wanted < ENTRY_TO_SORTED_KEY_COST * count;
}

const RECEIVE_LIMIT_OPTION = 'grpc.max_receive_message_length';
/** gRPC's limit on a received message, which a client the caller gives is taken to keep. */
const GRPC_DEFAULT_RECEIVE_BYTES = 4 * 1024 * 1024;
/**
 * The limit of a client the backend creates. etcd sends responses of any size (Go's
 * clientv3 accepts up to 2 GiB); this one leaves read-ahead pages a 16-fold margin for
 * entries larger than the first page's.
 */
const OWN_CLIENT_RECEIVE_BYTES = 64 * 1024 * 1024;
/**
 * Largest read-ahead page. A detector-hour of 10,000 events (about 1.8 MB) is then read
 * in two requests, the first page and the rest, instead of three. Against 1 MiB pages,
 * GetEvents on etcd took less time in 7 of 9 interleaved A/B runs, by a median of 5 %.
 */
const MAX_READ_AHEAD_PAGE_BYTES = 4 * 1024 * 1024;

/** grpc-js refusing a response over the client's `grpc.max_receive_message_length`. */
function responseTooLarge(error: unknown): boolean {
  return error instanceof Error && error.message.includes('Received message larger than max');
}

/** The receive limit a client ends up with, given the caller's `grpc.max_receive_message_length` (-1: none). */
function receiveLimitOf(configured: unknown): number {
  if (typeof configured !== 'number') return OWN_CLIENT_RECEIVE_BYTES;
  return configured < 0 ? Infinity : configured;
}

/**
 * Most keys one descending request asks for, as a multiple of `pageSize`: 10,000 keys
 * of events by default, about 1 MB. Its response is handed out in pages.
 */
const ONE_REQUEST_DESCENDING_PAGES = 10;

/** `entries` in consecutive pages of at most `pageSize`, none empty. */
function* inPagesOf(entries: KvEntry[], pageSize: number): Generator<KvEntry[]> {
  if (entries.length <= pageSize) {
    if (entries.length > 0) yield entries;
    return;
  }
  for (let from = 0; from < entries.length; from += pageSize) yield entries.slice(from, from + pageSize);
}

/** Most keys a grown page holds, as a multiple of `pageSize`. */
const MAX_PAGE_GROWTH = 16;
/** A key-value's bytes in a range response beyond its key and value (revisions, version, lease, framing). */
const KEY_VALUE_OVERHEAD_BYTES = 48;

/** How many keys like those of `page` fit in `bytes`, between `pageSize` and `MAX_PAGE_GROWTH` times it. */
function grownPageSize(page: readonly KvEntry[], bytes: number, pageSize: number): number {
  let pageBytes = 0;
  for (const entry of page) pageBytes += entry.key.length + entry.value.length + KEY_VALUE_OVERHEAD_BYTES;
  const fitting = Math.floor((bytes * page.length) / pageBytes);
  return Math.max(pageSize, Math.min(fitting, MAX_PAGE_GROWTH * pageSize));
}

/** A range request for at most `limit` keys of `[start, end)`, lowest first or (descending) highest first. */
function pageRequest(
  start: Buffer,
  end: Buffer,
  limit: number,
  descending: boolean,
  revision?: string,
): IRangeRequest {
  return {
    key: start,
    range_end: end,
    limit,
    ...(revision === undefined ? {} : { revision }),
    ...(descending ? { sort_order: 'Descend', sort_target: 'Key' } : {}),
  };
}

function leaseOf(leaseIds: ReadonlyMap<number, PutLease>): LeaseOf {
  return (atUnixSeconds) => leaseIds.get(atUnixSeconds)!;
}
