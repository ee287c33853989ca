import { StoreInvalidArgumentError, type WorkLease, type WorkLeases } from '@message-bus/repository';

/**
 * Claims held in this process's memory, for the embedded store: only one process uses
 * that store, so the workers to keep apart all live here. A claim never expires (its
 * holder cannot die without the process); it ends when released or on `close()`.
 */
export class InProcessWorkLeases implements WorkLeases {
  private readonly held = new Map<string, InProcessWorkLease>();
  private closed = false;

  async tryAcquire(name: string, ttlSeconds: number): Promise<WorkLease | undefined> {
    if (typeof name !== 'string' || name.length === 0) {
      throw new StoreInvalidArgumentError('name: must be a non-empty string, e.g. traveltime/det-7');
    }
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new StoreInvalidArgumentError(`ttlSeconds: ${ttlSeconds} is not a whole number of seconds ≥ 1`);
    }
    if (this.closed) throw new StoreInvalidArgumentError('tryAcquire: the work leases were closed');
    if (this.held.has(name)) return undefined;
    const lease = new InProcessWorkLease(name, () => this.held.delete(name));
    this.held.set(name, lease);
    return lease;
  }

  async claimed(prefix: string): Promise<string[]> {
    if (typeof prefix !== 'string' || !prefix.endsWith('/')) {
      throw new StoreInvalidArgumentError(
        `prefix: ${JSON.stringify(prefix)} must end with '/', e.g. traveltime/`,
      );
    }
    return [...this.held.keys()].filter((name) => name.startsWith(prefix)).sort();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.held.values()].map((lease) => lease.release()));
  }
}

class InProcessWorkLease implements WorkLease {
  private readonly controller = new AbortController();

  constructor(
    readonly name: string,
    private readonly onRelease: () => void,
  ) {}

  get lost(): AbortSignal {
    return this.controller.signal;
  }

  async release(): Promise<void> {
    if (this.controller.signal.aborted) return;
    this.controller.abort(new Error(`work lease ${this.name} was released`));
    this.onRelease();
  }
}
