import type { DetectorId } from '@message-bus/domain';
import type { WorkLease } from '@message-bus/repository';
import { randomBytes } from 'node:crypto';
import type { ResolvedWorkerOptions } from './travel-time-worker-options';

/** Each live worker holds a claim under here, so the workers know how many share the destinations. */
export const MEMBERS_PREFIX = 'traveltime-workers/';

/** The claim name of a destination, e.g. `traveltime/det-7`. */
export function destinationClaimName(destination: DetectorId): string {
  return `traveltime/${destination}`;
}

/** What a worker may do this round, as one of the live workers. */
export interface ClaimRound {
  /** Whether it turns late-sighting marks into ranges (the first member by name does). */
  readonly resolvesLateSightings: boolean;
}

type ClaimOptions = Pick<
  ResolvedWorkerOptions,
  'leases' | 'claimTtlSeconds' | 'logger' | 'metrics' | 'workerId'
>;

/**
 * The destinations one worker holds, through `WorkLeases`: its membership among the live
 * workers (a claim under MEMBERS_PREFIX), and a claim per destination it estimates. It
 * holds at most its fair share (destinations ÷ live workers, rounded up) and hands the
 * excess over when another worker joins. The leases renew themselves; a claim whose
 * `lost` aborted is dropped at the next `dropLost`.
 */
export class DestinationClaims {
  private readonly claims = new Map<DetectorId, WorkLease>();
  /** This worker's claim under MEMBERS_PREFIX, while it runs. */
  private membership: WorkLease | undefined;
  private readonly memberName: string;

  constructor(private readonly options: ClaimOptions) {
    this.memberName = `${MEMBERS_PREFIX}${memberSegment(options.workerId)}`;
  }

  /** The destinations held, with their claims, in the order they were claimed. */
  get held(): ReadonlyMap<DetectorId, WorkLease> {
    return this.claims;
  }

  /** Destinations held now, sorted. */
  sorted(): DetectorId[] {
    return [...this.claims.keys()].sort();
  }

  /**
   * Brings the claims in line with `destinations` (every destination with links): drops
   * lost claims, releases unlinked ones and the excess over this worker's share, then
   * claims free destinations, in name order, up to the share.
   */
  async balance(destinations: ReadonlySet<DetectorId>, stop: AbortSignal | undefined): Promise<ClaimRound> {
    this.dropLost();
    await this.release(this.sorted().filter((destination) => !destinations.has(destination)));
    const { share, resolvesLateSightings } = await this.membershipNow(destinations.size);
    await this.handOverExcess(share);
    await this.claimFree(destinations, share, stop);
    return { resolvesLateSightings };
  }

  /** Forgets destinations whose claim was lost; their progress may be someone else's now. */
  dropLost(): void {
    const { metrics, logger, workerId } = this.options;
    for (const [destination, lease] of this.claims) {
      if (!lease.lost.aborted) continue;
      this.claims.delete(destination);
      metrics?.travelTimeLeasesLost.inc();
      logger.warn(
        { worker: workerId, destination, reason: String(lease.lost.reason) },
        'lost a destination; another worker may take it over',
      );
    }
    metrics?.travelTimeDestinationsHeld.set(this.claims.size);
  }

  /** Releases every destination and the membership, so other workers take over at once. */
  async releaseAll(): Promise<void> {
    await this.release([...this.claims.keys()]);
    await this.membership?.release();
    this.membership = undefined;
  }

  /**
   * How many destinations this worker should hold: all of them divided by the live
   * workers, rounded up, so together they cover every destination. When the members
   * cannot be counted it keeps what it holds, and leaves late sightings to the next round.
   */
  private async membershipNow(
    destinations: number,
  ): Promise<{ share: number; resolvesLateSightings: boolean }> {
    const { leases, claimTtlSeconds, logger, workerId } = this.options;
    try {
      if (this.membership === undefined || this.membership.lost.aborted) {
        this.membership = await leases.tryAcquire(this.memberName, claimTtlSeconds);
      }
      const members = await leases.claimed(MEMBERS_PREFIX);
      return {
        share: Math.ceil(destinations / Math.max(1, members.length)),
        resolvesLateSightings: members[0] === this.memberName,
      };
    } catch (error) {
      logger.warn({ worker: workerId, err: error }, 'could not count the workers; keeping what it holds');
      return { share: this.claims.size, resolvesLateSightings: false };
    }
  }

  /** Releases destinations beyond `share` (the last in order), for a worker that joined to take. */
  private async handOverExcess(share: number): Promise<void> {
    const excess = this.sorted().slice(share);
    await this.release(excess);
    for (const destination of excess) {
      this.options.logger.info(
        { worker: this.options.workerId, destination },
        'handed a destination over to balance the workers',
      );
    }
  }

  private async claimFree(
    destinations: ReadonlySet<DetectorId>,
    share: number,
    stop: AbortSignal | undefined,
  ): Promise<void> {
    const { leases, claimTtlSeconds, logger, metrics, workerId } = this.options;
    const free = [...destinations].filter((destination) => !this.claims.has(destination));
    for (const destination of free.sort()) {
      if (stop?.aborted || this.claims.size >= share) break;
      let lease: WorkLease | undefined;
      try {
        lease = await leases.tryAcquire(destinationClaimName(destination), claimTtlSeconds);
      } catch (error) {
        logger.warn({ worker: workerId, destination, err: error }, 'could not claim a destination');
        break; // the store is likely down: try again next round
      }
      if (lease === undefined) continue;
      this.claims.set(destination, lease);
      logger.info({ worker: workerId, destination }, 'holding destination');
    }
    metrics?.travelTimeDestinationsHeld.set(this.claims.size);
  }

  private async release(destinations: readonly DetectorId[]): Promise<void> {
    if (destinations.length === 0) return;
    await Promise.all(
      destinations.map(async (destination) => {
        const lease = this.claims.get(destination);
        this.claims.delete(destination);
        await lease?.release();
      }),
    );
    this.options.metrics?.travelTimeDestinationsHeld.set(this.claims.size);
  }
}

/** The worker id as one lock-name segment, made unique: two workers may share an id. */
function memberSegment(workerId: string): string {
  const safe = workerId.replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 55);
  return `${safe}-${randomBytes(4).toString('hex')}`;
}
