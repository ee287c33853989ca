import {
  distanceMeters,
  estimateLink,
  type DetectorId,
  type DetectorLink,
  type EstimatorConfig,
  type TravelTimeEstimate,
  type UnixNanos,
} from '@message-bus/domain';
import type { Repository } from '@message-bus/repository';
import type { IntervalSchedule } from './interval-schedule';
import { SightingSpan } from './sighting-span';

/** Sightings are read for this many intervals at once, then sliced per interval. */
export const INTERVALS_PER_READ = 60;

/** Adds to estimates before they are written (the congestion figures of `TrafficProducts`). */
export type EstimateAnnotator = (estimates: readonly TravelTimeEstimate[]) => Promise<TravelTimeEstimate[]>;

/**
 * How far before an interval end the estimator looks: the window and the filter's
 * history, plus a pass gap (a pass that began earlier), plus the link's maxSeconds at
 * the source (a trip that began earlier).
 */
export function estimatorLookback(config: EstimatorConfig, maxSeconds: number): bigint {
  const { windowSeconds, historySeconds, passGapSeconds } = config;
  return BigInt(Math.ceil((windowSeconds + historySeconds + passGapSeconds + maxSeconds) * 1e9));
}

/** One run of a destination's interval ends to estimate, and what to do as it goes. */
export interface IntervalRun {
  readonly destination: DetectorId;
  /** The links into the destination to estimate. */
  readonly links: readonly DetectorLink[];
  /** The first and last interval end (both aligned, inclusive). */
  readonly first: UnixNanos;
  readonly last: UnixNanos;
  /**
   * Whether `link` is due at `intervalEnd`; default every link at every end. Monotone: a
   * link due at an end is due at every later one.
   */
  readonly isDue?: (link: DetectorLink, intervalEnd: UnixNanos) => boolean;
  /** Checked before every write: once true, nothing more is written. */
  readonly shouldStop: () => boolean;
  /** Called after each interval's estimates are written. */
  readonly onWritten?: (intervalEnd: UnixNanos, estimates: readonly TravelTimeEstimate[]) => void;
}

/**
 * Estimates and writes the travel times of a destination's links for runs of interval
 * ends: sightings of the destination and its sources are read once per
 * `INTERVALS_PER_READ` intervals and sliced per interval, so a catch-up of a day costs
 * 24 reads per detector, not 1,440. Every interval's input is exactly the sightings of
 * its lookback, however the run is cut into reads, so the same stored sightings always
 * give the same estimates, live or recomputed.
 */
export class LinkIntervals {
  constructor(
    private readonly repository: Repository,
    private readonly schedule: IntervalSchedule,
    private readonly estimatorConfig: EstimatorConfig,
    private readonly annotate: EstimateAnnotator = async (estimates) => [...estimates],
  ) {}

  /**
   * Writes the run oldest first, one put per interval end, so a failure leaves each
   * link's estimates without a gap. Resolves to the estimates written, or undefined when
   * `shouldStop` ended it early.
   */
  async write(run: IntervalRun): Promise<number | undefined> {
    const { destination, links } = run;
    if (links.length === 0 || run.first > run.last) return 0;
    const distances = await this.distances(destination, links);
    const step = this.schedule.intervalNanos * BigInt(INTERVALS_PER_READ);
    let written = 0;
    for (let start = run.first; start <= run.last; start += step) {
      const end = start + step - this.schedule.intervalNanos;
      const chunkWritten = await this.writeChunk(run, distances, start, end < run.last ? end : run.last);
      if (chunkWritten === undefined) return undefined;
      written += chunkWritten;
    }
    return written;
  }

  /** See `estimatorLookback`. */
  lookback(maxSeconds: number): bigint {
    return estimatorLookback(this.estimatorConfig, maxSeconds);
  }

  private async writeChunk(
    run: IntervalRun,
    distances: ReadonlyMap<DetectorId, number>,
    first: UnixNanos,
    last: UnixNanos,
  ): Promise<number | undefined> {
    const isDue = run.isDue ?? (() => true);
    const interval = this.schedule.intervalNanos;
    const due = run.links.filter((link) => isDue(link, last));
    if (due.length === 0) return 0;
    const spans = await this.readSpans(run.destination, due, first, last);
    const destinationSpan = spans.get(run.destination)!;
    let written = 0;
    for (let intervalEnd = first; intervalEnd <= last; intervalEnd += interval) {
      const computed: TravelTimeEstimate[] = [];
      for (const link of due) {
        if (!isDue(link, intervalEnd)) continue;
        computed.push(
          estimateLink({
            link,
            source: spans
              .get(link.source)!
              .between(intervalEnd - this.lookback(link.maxSeconds), intervalEnd),
            destination: destinationSpan.between(intervalEnd - this.lookback(0), intervalEnd),
            intervalEnd,
            distanceMeters: distances.get(link.source),
            config: this.estimatorConfig,
          }),
        );
      }
      if (computed.length === 0) continue;
      const estimates = await this.annotate(computed);
      if (run.shouldStop()) return undefined;
      await this.repository.travelTimes.put(estimates);
      run.onWritten?.(intervalEnd, estimates);
      written += estimates.length;
    }
    return written;
  }

  /** The destination's and each link source's sightings, for every interval end in [first, last]. */
  private async readSpans(
    destination: DetectorId,
    links: readonly DetectorLink[],
    first: UnixNanos,
    last: UnixNanos,
  ): Promise<Map<DetectorId, SightingSpan>> {
    const { events } = this.repository;
    const read = async (detector: DetectorId, maxSeconds: number): Promise<[DetectorId, SightingSpan]> => [
      detector,
      await SightingSpan.read(events, detector, first - this.lookback(maxSeconds), last),
    ];
    return new Map(
      await Promise.all([read(destination, 0), ...links.map((link) => read(link.source, link.maxSeconds))]),
    );
  }

  /** Straight-line length of each link whose two detectors both have coordinates, by source. */
  private async distances(
    destination: DetectorId,
    links: readonly DetectorLink[],
  ): Promise<Map<DetectorId, number>> {
    const { detectors } = this.repository;
    const lengths = new Map<DetectorId, number>();
    const at = await detectors.getCoordinates(destination);
    if (at === undefined) return lengths;
    const from = await Promise.all(links.map((link) => detectors.getCoordinates(link.source)));
    links.forEach((link, index) => {
      const source = from[index];
      if (source === undefined) return;
      const meters = distanceMeters(source, at);
      if (meters > 0) lengths.set(link.source, meters);
    });
    return lengths;
  }
}
