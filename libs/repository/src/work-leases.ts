/**
 * Exclusive, expiring claims on named pieces of work, so that several workers share
 * them without two doing the same one: a travel-time worker claims
 * `traveltime/{destination}` before it estimates that destination's links.
 *
 * A claim lives as long as its holder renews it. A holder that dies (killed, cut off
 * from the store) stops renewing, and the claim expires at most `ttlSeconds` after its
 * last renewal; then another holder can take it. The holder learns of the loss before
 * that instant, through `lost`, so it stops writing before anyone else may start.
 *
 * Implementations: `EtcdWorkLeases` (@message-bus/store-etcd) for a deployment of many
 * processes, `InProcessWorkLeases` (@message-bus/traveltime) for one process on the
 * embedded store.
 */
export interface WorkLeases {
  /**
   * Claims `name` if nobody holds it, and resolves to the claim; resolves to undefined
   * when someone (this holder included) already does.
   *
   * @param name one or more segments of `A-Z a-z 0-9 . _ : -` joined by `/`, e.g.
   *   `traveltime/det-7`; anything else is refused with `StoreInvalidArgumentError`
   * @param ttlSeconds how long the claim outlives a dead holder; a whole number ≥ 1
   * @throws StoreUnavailableError when the store cannot be asked
   */
  tryAcquire(name: string, ttlSeconds: number): Promise<WorkLease | undefined>;
  /**
   * The names claimed now, by anyone, under `prefix` (which ends with `/`), sorted; e.g.
   * `claimed('traveltime-workers/')` counts the live workers.
   * @throws StoreUnavailableError when the store cannot be asked
   */
  claimed(prefix: string): Promise<string[]>;
  /** Gives up every claim still held (each one's `lost` aborts) and frees the connection. */
  close(): Promise<void>;
}

/** One held claim. */
export interface WorkLease {
  /** The name it was acquired under, e.g. `traveltime/det-7`. */
  readonly name: string;
  /**
   * Aborts once the claim can no longer be trusted: it expired or was revoked, the store
   * has not confirmed a renewal for most of the TTL, or it was released. Work done under
   * the claim must stop writing when it aborts. Never aborted while the holder is healthy.
   */
  readonly lost: AbortSignal;
  /**
   * Gives the claim up at once, so another holder can take it without waiting for the
   * TTL; aborts `lost`. Safe to call more than once, and after the claim was lost.
   */
  release(): Promise<void>;
}
