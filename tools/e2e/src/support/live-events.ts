import type { ClientReadableStream } from '@grpc/grpc-js';
import type { query } from '@message-bus/proto';
import { statusName } from './grpc-clients';
import { fromTimestamp, sightingKey } from './sighting-plan';

/**
 * One live StreamEvents call (a range without `before`: the replay, then every new
 * sighting), counting each sighting it delivers, so a test can tell a gap (a stored
 * sighting never delivered) or a repeat (one delivered twice) across a fault.
 */
export class LiveEvents {
  private readonly deliveries = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private readonly call: ClientReadableStream<query.DetectionEvent>;
  private endReason: string | undefined;
  private cancelling = false;

  constructor(client: query.QueryServiceClient, request: query.GetEventsRequest) {
    this.call = client.streamEvents(request);
    this.call.on('data', (event: query.DetectionEvent) => {
      for (const time of event.time) {
        const key = sightingKey(event.detectorId, fromTimestamp(time));
        this.deliveries.set(key, (this.deliveries.get(key) ?? 0) + 1);
      }
      this.wake();
    });
    this.call.on('error', (error) => this.end(statusName(error)));
    this.call.on('end', () => this.end('ended by the server'));
  }

  /** Distinct sightings delivered. */
  get distinct(): number {
    return this.deliveries.size;
  }

  /** Deliveries beyond the first of each sighting. */
  get repeats(): number {
    let repeats = 0;
    for (const count of this.deliveries.values()) repeats += count - 1;
    return repeats;
  }

  /** The sightings delivered more than once, by `<detector>@<nanoseconds>`. */
  get repeatedKeys(): string[] {
    return [...this.deliveries].filter(([, count]) => count > 1).map(([key]) => key);
  }

  /** The sightings delivered, by `<detector>@<nanoseconds>`. */
  get keys(): ReadonlySet<string> {
    return new Set(this.deliveries.keys());
  }

  /** Why the stream ended (a gRPC status name), or `undefined` while it is open. */
  get ended(): string | undefined {
    return this.endReason;
  }

  /** Resolves once every one of `keys` was delivered; rejects when the stream ends first or after `timeoutMs`. */
  async waitFor(keys: ReadonlySet<string>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const missing = () => [...keys].filter((key) => !this.deliveries.has(key)).length;
    for (let left = missing(); left > 0; left = missing()) {
      if (this.endReason !== undefined)
        throw new Error(`the live stream ended (${this.endReason}) with ${left} sightings not delivered`);
      const remaining = deadline - Date.now();
      if (remaining <= 0)
        throw new Error(`${left} sightings not delivered by the live stream within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => done(), remaining);
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        this.waiters.add(done);
      });
    }
  }

  /** Cancels the call. */
  cancel(): void {
    this.cancelling = true;
    this.call.cancel();
  }

  private end(reason: string): void {
    if (this.cancelling || this.endReason !== undefined) return;
    this.endReason = reason;
    this.wake();
  }

  private wake(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
