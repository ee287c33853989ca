import { status as GrpcStatus } from '@grpc/grpc-js';
import { GrpcStatusError } from '@message-bus/server-kit';
import type { QueryLimits } from './query-limits';

/** What one server admits at once; see `QueryLimits.maxConcurrentScans`. */
export type ScanAdmissionLimits = Pick<QueryLimits, 'maxConcurrentScans' | 'maxConcurrentScansPerConnection'>;

/** The calls that take a slot, for the refusal's sentence. */
const SCAN_CALLS =
  'GetEvents, GetBatteryVoltage, GetTravelTimes, GetOriginDestination, GetReliability and StreamEvents replays';

/**
 * Counts the scans one server runs, in all and per client connection, and refuses one
 * more beyond either bound with RESOURCE_EXHAUSTED.
 *
 * Refused at once rather than queued: a queue would hold calls (and their clients'
 * deadlines) in memory behind work the event loop cannot do any faster, and the client
 * is the one that knows whether to retry, back off or give up. One instance per server.
 */
export class ScanAdmission {
  private running = 0;
  private readonly runningByConnection = new Map<string, number>();

  constructor(private readonly limits: ScanAdmissionLimits) {}

  /**
   * Takes a slot for one scan of `rpc` (e.g. `GetEvents`) from `connection` (e.g.
   * `call.getPeer()`), held until `until` aborts or the returned function is called,
   * whichever comes first (calling it again does nothing).
   *
   * @throws GrpcStatusError RESOURCE_EXHAUSTED naming the bound when either is reached
   */
  admit(rpc: string, connection: string, until: AbortSignal): () => void {
    const ofConnection = this.runningByConnection.get(connection) ?? 0;
    const { maxConcurrentScans, maxConcurrentScansPerConnection } = this.limits;
    if (ofConnection >= maxConcurrentScansPerConnection) {
      throw refused(
        `${rpc}: this connection already runs ${ofConnection} scans (${SCAN_CALLS}), the most one ` +
          `connection may (maxConcurrentScansPerConnection); wait for one to end or cancel it, then retry`,
      );
    }
    if (this.running >= maxConcurrentScans) {
      throw refused(
        `${rpc}: the server already runs ${this.running} scans (${SCAN_CALLS}), the most it admits at ` +
          `once (maxConcurrentScans); retry after a backoff, or narrow range, limit or detector_ids`,
      );
    }
    this.running += 1;
    this.runningByConnection.set(connection, ofConnection + 1);
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      until.removeEventListener('abort', release);
      this.running -= 1;
      const left = (this.runningByConnection.get(connection) ?? 1) - 1;
      if (left > 0) this.runningByConnection.set(connection, left);
      else this.runningByConnection.delete(connection);
    };
    until.addEventListener('abort', release, { once: true });
    if (until.aborted) release();
    return release;
  }

  /** Scans holding a slot now: in all, or of one connection. */
  scansRunning(connection?: string): number {
    return connection === undefined ? this.running : (this.runningByConnection.get(connection) ?? 0);
  }
}

function refused(details: string): GrpcStatusError {
  return new GrpcStatusError(GrpcStatus.RESOURCE_EXHAUSTED, details);
}
