import {
  NANOS_PER_SECOND,
  type DetectorId,
  type Sighting,
  type TravelTimeEstimate,
  type UnixNanos,
} from '@message-bus/domain';
import { createLogger } from '@message-bus/server-kit';
import { arrivals, importedAt, type Arrival, type ScenarioLink } from '@message-bus/simulation';
import { LmdbBackend } from '@message-bus/store-embedded';
import type { Repository, TravelTimeRepository } from '@message-bus/repository';
import { decodeEstimateValue, encodeEstimateValue, KvRepository, prefixEnd } from '@message-bus/store-kv';
import { InProcessWorkLeases, TravelTimeWorker } from '@message-bus/traveltime';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExtraTable } from '../report';
import { STEP_SECONDS, type SimulatedSpan } from './workload';

/** The worker's lag: the interval ending at T is estimated at T + 30 s, as cqserver's default. */
const LAG_SECONDS = 30;
/** Online detectors send every 10 s; anything older than this on arrival is late. */
const BATCH_SECONDS = 10;
const LATE_AFTER_SECONDS = 10;
/** The late detector uploads what it buffered every two hours. */
const LATE_UPLOAD_SECONDS = 2 * 3600;
/** An import sends batches of this many sightings, as `mbcli import` does. */
const IMPORT_BATCH = 5000;
/** Late-sighting marks a worker round turns into ranges (the default is 10,000). */
const LATE_MARKS_PER_ROUND = 100;
/** Intervals with at least this many devices truly seen at both ends are the ones scored. */
const MIN_TRUE_MATCHES = 3;
const PREFIX = 'bench';

export interface RecomputeSection {
  readonly settings: Readonly<Record<string, number | string>>;
  readonly tables: readonly ExtraTable[];
  readonly notes: readonly string[];
}

/**
 * Issue 15's late-data rows: the span's sightings stored through the real repository
 * (lmdb in a temp dir) and estimated by the real worker in simulated time, three ways:
 *
 * - live: every detector online, the worker estimating each interval when it is due;
 * - imported: the worker runs over the span while the detectors are silent (so every
 *   link already has estimates), then the whole span is imported an hour after its end;
 * - late: as live, but one detector uploads what it buffered every two hours.
 *
 * The imported and late runs must end with the live run's estimates, byte for byte.
 */
export async function measureRecompute(
  span: SimulatedSpan,
  log: (line: string) => void,
): Promise<RecomputeSection> {
  const sightings = storedSightings(span);
  const links = span.scenario.links;
  const lateDetector = busiestDetector(links);
  const end = span.start + BigInt(span.durationSeconds) * NANOS_PER_SECOND;

  log('recompute: the live run');
  const live = await runSite(span, async (site) => {
    await site.live(arrivals(sightings, { batchSeconds: BATCH_SECONDS }), end);
  });

  log('recompute: the span imported after the fact');
  const imported = await runSite(span, async (site) => {
    await site.live([], end);
    const importAt = end + 3600n * NANOS_PER_SECOND;
    await site.live(importedAt(sightings, importAt, IMPORT_BATCH), importAt);
  });

  log(`recompute: ${lateDetector} uploading every ${LATE_UPLOAD_SECONDS / 3600} h`);
  const plan = {
    batchSeconds: BATCH_SECONDS,
    lateUploads: [{ detectorId: lateDetector, uploadEverySeconds: LATE_UPLOAD_SECONDS }],
  };
  const late = await runSite(span, async (site) => {
    const deliveries = arrivals(sightings, plan);
    await site.live(deliveries, deliveries.at(-1)?.at ?? end);
  });

  const scored = trueMatchIntervals(span, links);
  const importedCoverage = share(scored, (key) => (imported.final.get(key)?.totalSamples ?? 0) > 0);
  const importedWithMedian = share(scored, (key) => imported.final.get(key)?.medianSeconds !== undefined);
  const importedEqual = equalShare(live.bytes, imported.bytes);
  const lateEqual = equalShare(live.bytes, late.bytes);
  const affected = [...live.bytes.keys()].filter((key) => late.firstBytes.get(key) !== live.bytes.get(key));
  const reestimated = affected.filter((key) => late.bytes.get(key) === live.bytes.get(key));
  const lateReestimated = affected.length === 0 ? 1 : reestimated.length / affected.length;

  const target = (label: string, value: number, goal: number): string[] => [
    label,
    pct(value),
    `≥ ${pct(goal)}`,
    value >= goal ? 'met' : 'MISSED',
  ];
  return {
    settings: {
      'recompute.links': links.length,
      'recompute.sightings': sightings.length,
      'recompute.estimates': live.bytes.size,
      'recompute.lateDetector': lateDetector,
      'recompute.scoredIntervals': scored.length,
      'recompute.lateAffectedIntervals': affected.length,
    },
    tables: [
      {
        title: 'Late data (issue 15): the real worker and embedded store, in simulated time',
        columns: ['run', 'estimates', 'byte-equal to live', 'recomputed', 'worker rounds'],
        rows: [
          ['live, every detector online', live.bytes.size, '—', live.recomputed, live.rounds],
          [
            'span imported an hour after it',
            imported.bytes.size,
            pct(importedEqual),
            imported.recomputed,
            imported.rounds,
          ],
          [
            `${lateDetector} uploading every 2 h`,
            late.bytes.size,
            pct(lateEqual),
            late.recomputed,
            late.rounds,
          ],
        ].map((row) => row.map(String)),
      },
      {
        title: `Intervals with ≥ ${MIN_TRUE_MATCHES} devices truly seen at both ends, after the import`,
        columns: ['intervals', 'estimated from the imported sightings', 'with a median'],
        rows: [[String(scored.length), pct(importedCoverage), pct(importedWithMedian)]],
      },
      {
        title: 'issue 15 targets (late data)',
        columns: ['value', 'target', ''],
        rows: [
          target('import: scored intervals estimated from the imported sightings', importedCoverage, 0.99),
          target('import: estimates byte-equal to the live run', importedEqual, 1),
          target(
            `late upload: affected intervals (${affected.length}) re-estimated to the live result`,
            lateReestimated,
            1,
          ),
          target('late upload: estimates byte-equal to the live run', lateEqual, 1),
        ],
      },
    ],
    notes: [
      `Late data: the corridor's sightings stored through KvRepository on lmdb and estimated by TravelTimeWorker (interval ${STEP_SECONDS} s, lag ${LAG_SECONDS} s) in simulated time; online detectors send every ${BATCH_SECONDS} s, the late one (${lateDetector}, on the most links) every ${LATE_UPLOAD_SECONDS / 3600} h, the import sends batches of ${IMPORT_BATCH} an hour after the span. Byte-equal compares every stored estimate value of the span with the live run's, without the congestion figures (they follow the typical profile at the time of writing). "Affected" intervals are those whose first estimate in the late run differed from the live one.`,
      `Scored intervals: a link and interval with ≥ ${MIN_TRUE_MATCHES} distinct devices (raw identities, before pseudonyms) seen at the destination in the window and at the source within the link's maxSeconds before; "estimated from the imported sightings" means the stored estimate counts matched samples (it was computed after the import).`,
    ],
  };
}

/** What one run of a site left in its store. */
interface SiteResult {
  /** Every stored estimate's value, by key, as bytes in hex. */
  readonly bytes: ReadonlyMap<string, string>;
  /** The first value written for each key. */
  readonly firstBytes: ReadonlyMap<string, string>;
  /** The decoded estimates, by key. */
  readonly final: ReadonlyMap<string, { totalSamples: number; medianSeconds?: number }>;
  readonly recomputed: number;
  readonly rounds: number;
}

/** A store and a worker that live in simulated time. */
class SimulatedSite {
  now: UnixNanos;
  recomputed = 0;
  rounds = 0;
  readonly firstBytes = new Map<string, string>();
  readonly backend: LmdbBackend;
  readonly repository: KvRepository;
  readonly worker: TravelTimeWorker;
  private readonly leases = new InProcessWorkLeases();

  constructor(
    path: string,
    private readonly span: SimulatedSpan,
  ) {
    this.now = span.start;
    // The store lives in simulated time too: its expiry sweep must not see a simulated
    // day a week old by the real clock and drop the sightings mid-run.
    this.backend = new LmdbBackend({ path, now: () => Number(this.now / 1_000_000n) });
    this.repository = new KvRepository(this.backend, {
      prefix: PREFIX,
      clock: () => this.now,
      lateAfterSeconds: LATE_AFTER_SECONDS,
    });
    this.worker = new TravelTimeWorker({
      repository: this.recordingFirstValues(this.repository),
      leases: this.leases,
      logger: createLogger({ name: 'bench-recompute', level: 'silent' }),
      clock: () => this.now,
      intervalSeconds: STEP_SECONDS,
      lagSeconds: LAG_SECONDS,
      // Few per round, so that even the smoke run turns an import's marks into ranges over several rounds.
      lateMarksPerRound: LATE_MARKS_PER_ROUND,
    });
  }

  async setUp(): Promise<void> {
    for (const { id, coordinates } of this.span.scenario.detectors) {
      await this.repository.detectors.putCoordinates({ detectorId: id, coordinates });
    }
    for (const { source, destination, maxSeconds } of this.span.scenario.links) {
      await this.repository.links.put({ source, destination, maxSeconds });
    }
  }

  /**
   * Delivers `deliveries` in arrival order, and runs the worker whenever an interval of
   * the span is due (and once more at `until`), each round to the end of its backlog.
   */
  async live(deliveries: readonly Arrival<Sighting>[], until: UnixNanos): Promise<void> {
    const step = BigInt(STEP_SECONDS) * NANOS_PER_SECOND;
    const lag = BigInt(LAG_SECONDS) * NANOS_PER_SECOND;
    let due = this.nextDue(step, lag);
    let next = 0;
    while (due <= until + lag) {
      while (next < deliveries.length && deliveries[next]!.at <= due) {
        const delivery = deliveries[next++]!;
        this.now = delivery.at;
        await this.repository.events.append(delivery.sightings);
      }
      await this.round(due);
      due += step;
    }
    for (; next < deliveries.length; next++) {
      this.now = deliveries[next]!.at;
      await this.repository.events.append(deliveries[next]!.sightings);
    }
  }

  async result(): Promise<SiteResult> {
    const bytes = await this.storedEstimates();
    const final = new Map<string, { totalSamples: number; medianSeconds?: number }>();
    for (const estimate of await this.repository.travelTimes.list({
      links: this.span.scenario.links.map(({ source, destination }) => ({ source, destination })),
    })) {
      const { totalSamples, medianSeconds } = estimate;
      final.set(estimateKey(estimate.source, estimate.destination, estimate.intervalEnd), {
        totalSamples,
        ...(medianSeconds === undefined ? {} : { medianSeconds }),
      });
    }
    return { bytes, firstBytes: this.firstBytes, final, recomputed: this.recomputed, rounds: this.rounds };
  }

  async close(): Promise<void> {
    await this.worker.stop();
    await this.leases.close();
    await this.repository.close();
  }

  private nextDue(step: bigint, lag: bigint): UnixNanos {
    const firstEnd = this.now - (this.now % step) + step;
    return firstEnd + lag;
  }

  /** One worker round at `due`, repeated until no range is pending. */
  private async round(due: UnixNanos): Promise<void> {
    this.now = due;
    for (let report = await this.worker.runOnce(due); ; report = await this.worker.runOnce(due)) {
      this.rounds += 1;
      this.recomputed += report.recomputed;
      if (!report.backlog) break;
    }
  }

  /** `repository` with the first value put for each estimate recorded, encoded as the store encodes it. */
  private recordingFirstValues(repository: Repository): Repository {
    const travelTimes: TravelTimeRepository = Object.create(repository.travelTimes) as TravelTimeRepository;
    const put = repository.travelTimes.put.bind(repository.travelTimes);
    travelTimes.put = async (estimates) => {
      for (const estimate of estimates) {
        const key = estimateKey(estimate.source, estimate.destination, estimate.intervalEnd);
        if (!this.firstBytes.has(key)) {
          this.firstBytes.set(key, travelTimeHex(estimate));
        }
      }
      await put(estimates);
    };
    return {
      events: repository.events,
      links: repository.links,
      detectors: repository.detectors,
      travelTimes,
      recompute: repository.recompute,
      routes: repository.routes,
      routeTravelTimes: repository.routeTravelTimes,
      profiles: repository.profiles,
      alerts: repository.alerts,
      detectorHealth: repository.detectorHealth,
      health: () => repository.health(),
      close: () => repository.close(),
    };
  }

  /** The raw value of every stored estimate, keyed `source->destination@intervalEnd`. */
  private async storedEstimates(): Promise<Map<string, string>> {
    const root = this.repository.keyspace.travelTimesRoot;
    const values = new Map<string, string>();
    for await (const entry of this.backend.scan({ start: root, end: prefixEnd(root) })) {
      const parsed = this.repository.keyspace.parseEstimateKey(entry.key);
      if (!parsed.ok) throw new Error(`unreadable estimate key ${entry.key}: ${parsed.reason}`);
      const { source, destination, intervalEnd } = parsed.value;
      const estimate = decodeEstimateValue(entry.value, parsed.value);
      if (!estimate.ok) throw new Error(`unreadable estimate at ${entry.key}: ${estimate.reason}`);
      values.set(estimateKey(source, destination, intervalEnd), travelTimeHex(estimate.value));
    }
    return values;
  }
}

/** Opens a site in a temp dir, sets up its links, runs `drive`, and reads back what it stored. */
async function runSite(
  span: SimulatedSpan,
  drive: (site: SimulatedSite) => Promise<void>,
): Promise<SiteResult> {
  const path = await mkdtemp(join(tmpdir(), 'bench-recompute-'));
  const site = new SimulatedSite(path, span);
  try {
    await site.setUp();
    await drive(site);
    return await site.result();
  } finally {
    await site.close();
    await rm(path, { recursive: true, force: true });
  }
}

/** Every sighting of the span as the collector stores it (pseudonymised), oldest first. */
function storedSightings(span: SimulatedSpan): Sighting[] {
  const end = span.start + BigInt(span.durationSeconds) * NANOS_PER_SECOND;
  return span.scenario.detectors
    .flatMap(({ id }) => span.index.between(id, span.start, end))
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

/** The detector on the most links, so its late upload touches the most estimates. */
function busiestDetector(links: readonly ScenarioLink[]): DetectorId {
  const count = new Map<DetectorId, number>();
  for (const { source, destination } of links) {
    count.set(source, (count.get(source) ?? 0) + 1);
    count.set(destination, (count.get(destination) ?? 0) + 1);
  }
  return [...count].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
}

/**
 * The `source->destination@intervalEnd` keys of every link and interval end of the span
 * whose window holds at least MIN_TRUE_MATCHES distinct devices seen at the destination
 * and, within the link's maxSeconds before, at the source (by raw identity).
 */
function trueMatchIntervals(span: SimulatedSpan, links: readonly ScenarioLink[]): string[] {
  const byDetector = new Map<DetectorId, { device: string; time: UnixNanos }[]>();
  for (const sighting of span.simulation.sightings) {
    const list = byDetector.get(sighting.detectorId) ?? [];
    list.push({ device: sighting.rawDeviceId, time: sighting.time });
    byDetector.set(sighting.detectorId, list);
  }
  const step = BigInt(STEP_SECONDS) * NANOS_PER_SECOND;
  const window = 900n * NANOS_PER_SECOND;
  const end = span.start + BigInt(span.durationSeconds) * NANOS_PER_SECOND;
  const keys: string[] = [];
  for (const link of links) {
    const maxNanos = BigInt(link.maxSeconds) * NANOS_PER_SECOND;
    const sourceTimes = new Map<string, UnixNanos[]>();
    for (const { device, time } of byDetector.get(link.source) ?? []) {
      const times = sourceTimes.get(device);
      if (times === undefined) sourceTimes.set(device, [time]);
      else times.push(time);
    }
    const arrivalsAt = (byDetector.get(link.destination) ?? []).filter(({ device, time }) =>
      (sourceTimes.get(device) ?? []).some((seen) => seen < time && seen >= time - maxNanos),
    );
    for (let intervalEnd = span.start + step; intervalEnd <= end; intervalEnd += step) {
      const devices = new Set(
        arrivalsAt
          .filter(({ time }) => time >= intervalEnd - window && time < intervalEnd)
          .map((a) => a.device),
      );
      if (devices.size >= MIN_TRUE_MATCHES)
        keys.push(estimateKey(link.source, link.destination, intervalEnd));
    }
  }
  return keys;
}

function estimateKey(source: string, destination: string, intervalEnd: UnixNanos): string {
  return `${source}->${destination}@${intervalEnd}`;
}

function share(keys: readonly string[], holds: (key: string) => boolean): number {
  return keys.length === 0 ? 1 : keys.filter(holds).length / keys.length;
}

/**
 * The estimate's stored bytes without its congestion figures, in hex. The figures
 * compare the estimate with the typical profile that exists when it is written, so a
 * recomputed estimate rightly carries newer figures; its travel time must not change.
 */
function travelTimeHex(estimate: TravelTimeEstimate): string {
  const {
    typicalSeconds: _typical,
    freeFlowSeconds: _freeFlow,
    ratioToTypical: _toTypical,
    ratioToFreeFlow: _toFreeFlow,
    level: _level,
    ...travelTime
  } = estimate;
  return Buffer.from(encodeEstimateValue(travelTime, 'estimate')).toString('hex');
}

/** The share of the reference's estimates stored with exactly the same bytes in `other`. */
function equalShare(reference: ReadonlyMap<string, string>, other: ReadonlyMap<string, string>): number {
  return share([...reference.keys()], (key) => other.get(key) === reference.get(key));
}

function pct(value: number): string {
  return `${(value * 100).toFixed(value === 1 ? 0 : 2)} %`;
}
