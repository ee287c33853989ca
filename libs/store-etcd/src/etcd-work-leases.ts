import { StoreInvalidArgumentError, type WorkLease, type WorkLeases } from '@message-bus/repository';
import { Keyspace, prefixEnd } from '@message-bus/store-kv';
import { Etcd3, type IOptions, type Lease } from 'etcd3';
import { toStoreError } from './etcd-errors';
import { EtcdFaultHandling } from './fault-handling';

export interface EtcdWorkLeasesOptions {
  /** The etcd client URLs, e.g. `'http://127.0.0.1:2379'`; also named in error messages. */
  readonly hosts: string | readonly string[];
  /** The deployment's key prefix, one segment, e.g. `tdc`: claims live under `/{prefix}/locks/`. */
  readonly prefix: string;
  /**
   * Who holds a claim, stored as the lock key's value so an operator can see it
   * (`etcdctl get --prefix /tdc/locks/`); e.g. `traveltime@host-1:4242`.
   */
  readonly holder: string;
  /** An existing client to use instead of creating one; the caller closes it after `close()`. */
  readonly client?: Etcd3;
  /** Further etcd3 options (TLS, auth) for the client created here; ignored with `client`. */
  readonly clientOptions?: Omit<IOptions, 'hosts'>;
  /** Deadline of one etcd call, retries included; e.g. `5_000` (the default). */
  readonly callTimeoutMs?: number;
}

/**
 * The share of the TTL after the last renewal etcd confirmed at which a claim counts as
 * lost. etcd3 renews every third of the TTL, so one late renewal is tolerated, and the
 * holder still has a quarter of the TTL to finish a write already sent before etcd can
 * hand the claim to someone else.
 */
const TRUSTED_SHARE_OF_TTL = 0.75;

/**
 * Claims on etcd: each claim is an etcd lease of the requested TTL, kept alive by etcd3,
 * and the key `/{prefix}/locks/{name}` attached to it, created by a transaction only if
 * the key is absent. A holder that dies stops renewing; etcd then deletes the key with
 * the lease after the TTL, and another holder's `tryAcquire` succeeds.
 */
export class EtcdWorkLeases implements WorkLeases {
  private readonly client: Etcd3;
  private readonly ownsClient: boolean;
  private readonly keyspace: Keyspace;
  private readonly endpoints: readonly string[];
  private readonly callTimeoutMs: number;
  private readonly held = new Set<EtcdWorkLease>();
  private closed = false;

  constructor(private readonly options: EtcdWorkLeasesOptions) {
    this.endpoints = typeof options.hosts === 'string' ? [options.hosts] : [...options.hosts];
    this.keyspace = new Keyspace(options.prefix);
    this.callTimeoutMs = options.callTimeoutMs ?? 5_000;
    this.ownsClient = options.client === undefined;
    this.client =
      options.client ??
      new Etcd3({
        ...options.clientOptions,
        hosts: [...this.endpoints],
        faultHandling: {
          ...new EtcdFaultHandling(this.endpoints, this.callTimeoutMs).policies,
          ...options.clientOptions?.faultHandling,
        },
      });
  }

  async tryAcquire(name: string, ttlSeconds: number): Promise<WorkLease | undefined> {
    const key = Buffer.from(this.keyspace.lockKey(name), 'utf8');
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new StoreInvalidArgumentError(`ttlSeconds: ${ttlSeconds} is not a whole number of seconds ≥ 1`);
    }
    if (this.closed) throw new StoreInvalidArgumentError('tryAcquire: the work leases were closed');
    try {
      // Most attempts find the claim taken: a read answers that without granting a lease.
      const existing = await this.client.kv.range({ key, count_only: true }, this.callOptions());
      if (existing.count !== '0') return undefined;
      const claim = new EtcdWorkLease(
        name,
        this.client.lease(ttlSeconds, this.callOptions()),
        ttlSeconds,
        this.callTimeoutMs,
        () => this.held.delete(claim),
      );
      const created = await claim.create(this.client, key, this.options.holder, this.callOptions().deadline);
      if (!created) return undefined;
      if (!claim.lost.aborted) this.held.add(claim);
      return claim;
    } catch (error) {
      throw toStoreError(error, this.endpoints);
    }
  }

  async claimed(prefix: string): Promise<string[]> {
    if (typeof prefix !== 'string' || !prefix.endsWith('/')) {
      throw new StoreInvalidArgumentError(
        `prefix: ${JSON.stringify(prefix)} must end with '/', e.g. traveltime/`,
      );
    }
    const keyPrefix = `${this.keyspace.lockKey(prefix.slice(0, -1), 'prefix')}/`;
    try {
      const response = await this.client.kv.range(
        {
          key: Buffer.from(keyPrefix, 'utf8'),
          range_end: Buffer.from(prefixEnd(keyPrefix), 'utf8'),
          keys_only: true,
        },
        this.callOptions(),
      );
      return response.kvs.map((kv) => kv.key.toString('utf8').slice(this.keyspace.locksRoot.length));
    } catch (error) {
      throw toStoreError(error, this.endpoints);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.held].map((claim) => claim.release()));
    if (this.ownsClient) this.client.close();
  }

  private callOptions(): { deadline: number } {
    return { deadline: Date.now() + this.callTimeoutMs };
  }
}

class EtcdWorkLease implements WorkLease {
  private readonly controller = new AbortController();
  /** When the keepalives still awaiting etcd's answer were sent, oldest first. */
  private readonly unansweredRenewals: number[] = [];
  private lossTimer: NodeJS.Timeout | undefined;
  private released: Promise<void> | undefined;

  /** `lease` was just asked for: its grant is in flight. */
  constructor(
    readonly name: string,
    private readonly lease: Lease,
    private readonly ttlSeconds: number,
    private readonly callTimeoutMs: number,
    private readonly onEnd: () => void,
  ) {
    this.trustUntil(Date.now());
    // Listening before the grant resolves, so every renewal is paired with its answer.
    lease.on('keepaliveFired', () => this.unansweredRenewals.push(Date.now()));
    lease.on('keepaliveFailed', () => this.unansweredRenewals.splice(0));
    lease.on('keepaliveSucceeded', () => {
      const sentAt = this.unansweredRenewals.shift();
      if (sentAt !== undefined) this.trustUntil(sentAt);
    });
    // etcd says the lease expired or was revoked.
    lease.on('lost', () => this.lose());
  }

  /**
   * Waits for the grant, then creates the lock key on the lease unless the key exists.
   * Resolves to whether it did; when not (or on error), the lease is given back.
   */
  async create(client: Etcd3, key: Buffer, holder: string, deadline: number): Promise<boolean> {
    let created = false;
    try {
      const leaseId = await this.lease.grant();
      const response = await client.kv.txn(
        {
          compare: [{ key, target: 'Create', result: 'Equal', create_revision: 0 }],
          success: [{ request_put: { key, value: Buffer.from(holder, 'utf8'), lease: leaseId } }],
        },
        { deadline },
      );
      created = response.succeeded;
      return created;
    } finally {
      if (!created) {
        clearTimeout(this.lossTimer);
        // A lost answer may hide a created key: it is on the lease, so it goes with it.
        await this.lease
          .revoke({ deadline: Date.now() + this.callTimeoutMs })
          .catch(() => this.lease.release());
      }
    }
  }

  get lost(): AbortSignal {
    return this.controller.signal;
  }

  release(): Promise<void> {
    this.released ??= this.revoke();
    return this.released;
  }

  /**
   * etcd renewed the lease no earlier than `renewalSentAt`, so it lives at least a TTL
   * from then; the claim is trusted for a share of that.
   */
  private trustUntil(renewalSentAt: number): void {
    clearTimeout(this.lossTimer);
    const deadline = renewalSentAt + this.ttlSeconds * 1000 * TRUSTED_SHARE_OF_TTL;
    this.lossTimer = setTimeout(() => this.lose(), Math.max(0, deadline - Date.now()));
  }

  private lose(): void {
    if (this.controller.signal.aborted) return;
    clearTimeout(this.lossTimer);
    this.controller.abort(new Error(`work lease ${this.name} was lost`));
    // Stop renewing: the claim may already belong to someone else.
    this.lease.release();
    this.onEnd();
  }

  /** Revoking the lease deletes the lock key with it, in one step on etcd's side. */
  private async revoke(): Promise<void> {
    const wasLost = this.controller.signal.aborted;
    clearTimeout(this.lossTimer);
    this.controller.abort(new Error(`work lease ${this.name} was released`));
    this.onEnd();
    if (wasLost) return;
    // An unreachable etcd cannot be told: the claim then expires after its TTL.
    await this.lease.revoke({ deadline: Date.now() + this.callTimeoutMs }).catch(() => this.lease.release());
  }
}
