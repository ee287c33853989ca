/** etcd's suggested largest `--quota-backend-bytes` (8 GiB), as deployment/etcd/etcd.yaml sets it. */
export const ETCD_RECOMMENDED_QUOTA_BYTES = 8 * 2 ** 30;

/**
 * The share of the quota this model plans to fill with live sightings. The rest is
 * headroom: the quota counts the database file, free pages included; the history kept
 * between compactions (deleted sightings stay until the next one); a backlog replayed
 * after an outage; growth. A planning choice, not a measurement.
 */
export const ETCD_PLANNING_FILL = 0.75;

/** How long a deleted sighting stays in etcd's history: the deployments' `--auto-compaction-retention=1h`. */
export const COMPACTION_HISTORY_SECONDS = 3_600;

/** Events are kept their retention after the end of their 100-second bucket. */
const BUCKET_SECONDS = 100;
const SECONDS_PER_DAY = 86_400;
const SECONDS_PER_HOUR = 3_600;

/** What a site's traffic and settings are. */
export interface SiteAssumptions {
  readonly detectors: number;
  /** Vehicles passing one detector in the peak hour; e.g. `1_000`. */
  readonly peakVehiclesPerHour: number;
  /** The share of passing vehicles a detector sees: Bluetooth about 0.05–0.3; e.g. `0.1`. */
  readonly penetration: number;
  /** The peak hour's share of a day's traffic (the design-hour factor, about 0.08–0.12); e.g. `0.1`. */
  readonly peakHourShare: number;
  /** Sightings a detector reports per detected pass; e.g. `1` (more where a detector reports each inquiry). */
  readonly sightingsPerPass: number;
  /** The raw sightings' retention; e.g. 7 days, the default `--retention`. */
  readonly retentionSeconds: number;
}

/** What a site stores and sends, from its assumptions. */
export interface SiteLoad {
  readonly sightingsPerDay: number;
  /** Sightings held at once: a retention's worth, plus the last bucket and etcd's history before compaction. */
  readonly retainedSightings: number;
  /** Sightings per second in the peak hour. */
  readonly peakSightingsPerSecond: number;
}

/**
 * sightings/day = detectors × (peak vehicles/h ÷ peak-hour share) × penetration × sightings/pass;
 * retained = sightings/day × (retention + 100 s bucket + 1 h history) ÷ 1 day;
 * peak ingest = detectors × peak vehicles/h × penetration × sightings/pass ÷ 3,600.
 */
export function siteLoad(site: SiteAssumptions): SiteLoad {
  const peakPerDetectorHour = site.peakVehiclesPerHour * site.penetration * site.sightingsPerPass;
  const sightingsPerDay = (site.detectors * peakPerDetectorHour) / site.peakHourShare;
  const keptSeconds = site.retentionSeconds + BUCKET_SECONDS + COMPACTION_HISTORY_SECONDS;
  return {
    sightingsPerDay,
    retainedSightings: (sightingsPerDay * keptSeconds) / SECONDS_PER_DAY,
    peakSightingsPerSecond: (site.detectors * peakPerDetectorHour) / SECONDS_PER_HOUR,
  };
}

/** Sightings that fit in `bytes` at `bytesPerSighting`. */
export function sightingsWithin(bytes: number, bytesPerSighting: number): number {
  return Math.floor(bytes / bytesPerSighting);
}

/** The most detectors of this site's kind whose retained sightings fit in `bytes`. */
export function detectorsWithin(bytes: number, bytesPerSighting: number, site: SiteAssumptions): number {
  const perDetector = siteLoad({ ...site, detectors: 1 }).retainedSightings;
  return Math.floor(sightingsWithin(bytes, bytesPerSighting) / perDetector);
}

/** The longest raw retention, in days, whose sightings fit in `bytes` for this site (its own retention ignored). */
export function retentionDaysWithin(bytes: number, bytesPerSighting: number, site: SiteAssumptions): number {
  const perDay = siteLoad(site).sightingsPerDay;
  const overheadDays = (BUCKET_SECONDS + COMPACTION_HISTORY_SECONDS) / SECONDS_PER_DAY;
  return sightingsWithin(bytes, bytesPerSighting) / perDay - overheadDays;
}
