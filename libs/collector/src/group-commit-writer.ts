import type { Sighting } from '@message-bus/domain';
import { StoreUnavailableError } from '@message-bus/repository';

export interface GroupCommitWriterOptions {
  /** The store write, e.g. `(sightings) => repository.events.append(sightings)`; resolves once committed. */
  readonly append: (sightings: readonly Sighting[]) => Promise<void>;
  /**
   * Most sightings grouped into one append; e.g. `10_000`. A single request larger than
   * this is appended alone, never split.
   */
  readonly maxSightingsPerAppend: number;
  /** Appends running at once; e.g. `2`. Requests arriving while all are busy wait and are grouped. */
  readonly maxAppendsInFlight: number;
}

/** What the writer holds: accepted but not yet committed. */
export interface PendingWrites {
  readonly requests: number;
  readonly sightings: number;
}

interface WriteRequest {
  readonly sightings: readonly Sighting[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit in front of `events.append`: a request is appended at once when an
 * append slot is free; requests arriving while every slot is busy queue up and go
 * together, in arrival order, in the next append. So many small concurrent calls share
 * a few store transactions instead of costing one each, and a busier store gets larger
 * batches. Each caller's promise settles with ITS append: resolved once its sightings
 * are committed, rejected with the store's error if that append failed.
 */
export class GroupCommitWriter {
  readonly #options: GroupCommitWriterOptions;
  readonly #queue: WriteRequest[] = [];
  #queuedSightings = 0;
  #inFlightRequests = 0;
  #inFlightSightings = 0;
  #appendsInFlight = 0;
  #closing = false;
  readonly #idleWaiters: (() => void)[] = [];

  constructor(options: GroupCommitWriterOptions) {
    for (const name of ['maxSightingsPerAppend', 'maxAppendsInFlight'] as const) {
      const value = options[name];
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new RangeError(`GroupCommitWriterOptions.${name} must be a positive integer, got ${value}`);
      }
    }
    this.#options = options;
  }

  /** Resolves once these sightings are committed; rejects with the store's error otherwise. */
  write(sightings: readonly Sighting[]): Promise<void> {
    if (this.#closing) {
      return Promise.reject(
        new StoreUnavailableError('the collector is shutting down; no new writes are accepted'),
      );
    }
    if (sightings.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ sightings, resolve, reject });
      this.#queuedSightings += sightings.length;
      this.#startAppends();
    });
  }

  get pending(): PendingWrites {
    return {
      requests: this.#queue.length + this.#inFlightRequests,
      sightings: this.#queuedSightings + this.#inFlightSightings,
    };
  }

  /** Refuses new writes and resolves once every accepted one has been committed or has failed. */
  close(): Promise<void> {
    this.#closing = true;
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #startAppends(): void {
    while (this.#appendsInFlight < this.#options.maxAppendsInFlight && this.#queue.length > 0) {
      this.#append(this.#takeBatch());
    }
  }

  /** Requests from the head of the queue, up to the batch size (at least one). */
  #takeBatch(): WriteRequest[] {
    const batch: WriteRequest[] = [];
    let sightings = 0;
    for (const next of this.#queue) {
      const wouldHold = sightings + next.sightings.length;
      if (batch.length > 0 && wouldHold > this.#options.maxSightingsPerAppend) break;
      batch.push(next);
      sightings = wouldHold;
    }
    this.#queue.splice(0, batch.length);
    this.#queuedSightings -= sightings;
    return batch;
  }

  #append(batch: readonly WriteRequest[]): void {
    const sightings =
      batch.length === 1 ? (batch[0]?.sightings ?? []) : batch.flatMap((request) => request.sightings);
    this.#appendsInFlight += 1;
    this.#inFlightRequests += batch.length;
    this.#inFlightSightings += sightings.length;
    const settle = (outcome: { ok: true } | { ok: false; error: unknown }): void => {
      this.#appendsInFlight -= 1;
      this.#inFlightRequests -= batch.length;
      this.#inFlightSightings -= sightings.length;
      for (const request of batch) {
        if (outcome.ok) request.resolve();
        else request.reject(outcome.error);
      }
      this.#startAppends();
      if (this.#isIdle()) this.#idleWaiters.splice(0).forEach((wake) => wake());
    };
    // `then` on a resolved promise: a synchronous throw in `append` becomes a rejection too.
    Promise.resolve()
      .then(() => this.#options.append(sightings))
      .then(
        () => settle({ ok: true }),
        (error: unknown) => settle({ ok: false, error }),
      );
  }

  #isIdle(): boolean {
    return this.#queue.length === 0 && this.#appendsInFlight === 0;
  }
}
