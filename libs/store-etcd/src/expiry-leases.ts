/** Grants an etcd lease of `ttlSeconds` and resolves to its id, in whatever form the caller writes it. */
export type GrantLease<LeaseId> = (ttlSeconds: number) => Promise<LeaseId>;

interface CachedLease<LeaseId> {
  readonly id: Promise<LeaseId>;
  /** When etcd will drop the lease, in milliseconds since the epoch. */
  readonly expiresAtMs: number;
}

/** A cached lease is reused only if it outlives its use by this margin. */
const reuseMarginMs = 1_000;

/**
 * One shared lease per expiry time: every record expiring at the same second is attached
 * to the same lease, so a whole time bucket goes with one lease instead of one per key.
 * Leases are granted once and cached until they are about to expire.
 */
export class ExpiryLeases<LeaseId> {
  private readonly leases = new Map<number, CachedLease<LeaseId>>();

  constructor(
    private readonly grant: GrantLease<LeaseId>,
    private readonly minTtlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The lease for records that may be dropped after `atUnixSeconds`. */
  idFor(atUnixSeconds: number): Promise<LeaseId> {
    const nowMs = this.now();
    const cached = this.leases.get(atUnixSeconds);
    if (cached && cached.expiresAtMs - nowMs > reuseMarginMs) return cached.id;

    this.dropExpired(nowMs);
    const ttlSeconds = Math.max(this.minTtlSeconds, Math.ceil(atUnixSeconds - nowMs / 1000));
    const id = this.grant(ttlSeconds);
    const lease = { id, expiresAtMs: nowMs + ttlSeconds * 1000 };
    this.leases.set(atUnixSeconds, lease);
    // A failed grant is not cached, so the next record asks again.
    id.catch(() => {
      if (this.leases.get(atUnixSeconds) === lease) this.leases.delete(atUnixSeconds);
    });
    return id;
  }

  /** Stops using the lease for `atUnixSeconds`, e.g. because etcd says it no longer exists. */
  forget(atUnixSeconds: number): void {
    this.leases.delete(atUnixSeconds);
  }

  private dropExpired(nowMs: number): void {
    for (const [at, lease] of this.leases) {
      if (lease.expiresAtMs <= nowMs) this.leases.delete(at);
    }
  }
}
