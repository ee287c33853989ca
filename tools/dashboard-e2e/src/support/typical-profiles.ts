import type { DetectorId, TypicalBin, TypicalProfile } from '@message-bus/domain';
import { LmdbBackend } from '@message-bus/store-embedded';
import { KvRepository } from '@message-bus/store-kv';
import { join } from 'node:path';
import { nanosOfMillis } from './roads';

const MINUTES_PER_DAY = 1440;
const BIN_MINUTES = 15;

/**
 * Stores a typical profile for each link in the embedded store at `dataDir` (under
 * `prefix`, the server's `--etcd.prefix`) before the server opens it: the link's
 * free-flow time at every 15-minute bin of the week. The workers store a profile only
 * once a link has a day of estimates; a test cannot wait a day, and with this one the
 * level of every estimate is its ratio to free flow. Made now, with the workers'
 * defaults (4 weeks, UTC), so they keep it for their 6-hour refresh.
 */
export async function storeFreeFlowProfiles(
  dataDir: string,
  prefix: string,
  links: readonly { readonly source: DetectorId; readonly destination: DetectorId; readonly seconds: number }[],
): Promise<void> {
  const repository = new KvRepository(new LmdbBackend({ path: join(dataDir, 'store') }), { prefix });
  try {
    const computedAt = nanosOfMillis(Date.now());
    for (const link of links) {
      const profile: TypicalProfile = {
        target: { kind: 'link', source: link.source, destination: link.destination },
        computedAt,
        weeks: 4,
        binMinutes: BIN_MINUTES,
        timeZone: 'UTC',
        freeFlowSeconds: link.seconds,
        bins: weekBins(link.seconds),
      };
      await repository.profiles.put(profile);
    }
  } finally {
    await repository.close();
  }
}

function weekBins(seconds: number): TypicalBin[] {
  const bins: TypicalBin[] = [];
  for (let dayOfWeek = 1; dayOfWeek <= 7; dayOfWeek += 1) {
    for (let minuteOfDay = 0; minuteOfDay < MINUTES_PER_DAY; minuteOfDay += BIN_MINUTES) {
      bins.push({
        dayOfWeek,
        minuteOfDay,
        medianSeconds: seconds,
        p15Seconds: seconds * 0.95,
        p85Seconds: seconds * 1.05,
        samples: 60,
      });
    }
  }
  return bins;
}
