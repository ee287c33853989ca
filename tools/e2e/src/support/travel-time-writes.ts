import type { DetectorId, Sighting } from '@message-bus/domain';
import { AppProcess } from '@message-bus/tools/app-process';
import type { Etcd3, Watcher } from 'etcd3';

const NANOS_PER_SECOND = 1_000_000_000n;

/** One put or delete seen by the watch on the deployment's prefix. */
export interface KeyChange {
  readonly revision: bigint;
  readonly kind: 'put' | 'delete';
  readonly key: string;
  readonly value: string;
}

/**
 * Every put and delete under `/{prefix}/` from now on: a watch sees each write, so an
 * estimate written twice shows as two puts of its key. `stop()` stops recording.
 */
export class KeyChangeLog {
  readonly changes: KeyChange[] = [];

  private constructor(private readonly watcher: Watcher) {
    watcher.on('put', (kv) => this.changes.push(keyChange('put', kv)));
    watcher.on('delete', (kv) => this.changes.push(keyChange('delete', kv)));
  }

  static async start(etcd: Etcd3, prefix: string): Promise<KeyChangeLog> {
    return new KeyChangeLog(await etcd.watch().prefix(`/${prefix}/`).create());
  }

  stop(): void {
    this.watcher.removeAllListeners('put');
    this.watcher.removeAllListeners('delete');
  }

  cancel(): Promise<void> {
    return this.watcher.cancel();
  }
}

function keyChange(
  kind: KeyChange['kind'],
  kv: { key: Buffer; value: Buffer; mod_revision: string },
): KeyChange {
  return { kind, revision: BigInt(kv.mod_revision), key: kv.key.toString(), value: kv.value.toString() };
}

export interface AttributedEstimate {
  readonly key: string;
  readonly intervalEnd: bigint;
  readonly totalSamples: number;
  /** Who held the destination's lock when etcd applied the put; undefined: no one. */
  readonly holder: string | undefined;
}

/** The estimate puts in revision order, each with the lock's holder at its revision. */
export function attributeEstimates(
  changes: readonly KeyChange[],
  lockKey: string,
  estimatePrefix: string,
): AttributedEstimate[] {
  let holder: string | undefined;
  const estimates: AttributedEstimate[] = [];
  for (const change of [...changes].sort((a, b) => (a.revision < b.revision ? -1 : 1))) {
    if (change.key === lockKey) holder = change.kind === 'put' ? change.value : undefined;
    if (change.kind !== 'put' || !change.key.startsWith(estimatePrefix)) continue;
    const value = JSON.parse(change.value) as { total_samples: number };
    estimates.push({
      key: change.key,
      intervalEnd: BigInt(change.key.slice(estimatePrefix.length)),
      totalSamples: value.total_samples,
      holder,
    });
  }
  return estimates;
}

export function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/**
 * Trips along one link: a new device seen at `source`, then 30 s later at `destination`.
 * `trip(arrival)` gives the two sightings of the next device arriving then.
 */
export function tripMaker(source: DetectorId, destination: DetectorId): (arrivalNanos: bigint) => Sighting[] {
  let trips = 0;
  return (arrivalNanos) => {
    const deviceId = `tt-device-${trips++}`;
    return [
      { detectorId: source, deviceId, time: arrivalNanos - 30n * NANOS_PER_SECOND },
      { detectorId: destination, deviceId, time: arrivalNanos },
    ];
  };
}

/** The built traveltime app on etcd at `endpoints` under `prefix`, with a short interval and lease. */
export function startTraveltimeWorker(options: {
  readonly endpoints: readonly string[];
  readonly prefix: string;
  readonly intervalSeconds: number;
  readonly leaseTtlSeconds: number;
}): Promise<AppProcess> {
  return AppProcess.start('traveltime', {
    args: [
      '--store=etcd',
      `--etcd.endpoints=${options.endpoints.join(',')}`,
      `--etcd.prefix=${options.prefix}`,
      '--healthcheck_port=127.0.0.1:0',
      '--metrics_port=',
      `--traveltime.interval=${options.intervalSeconds}s`,
      '--traveltime.lag=0s',
      `--traveltime.lease_ttl=${options.leaseTtlSeconds}s`,
      '--log_level=info',
    ],
  });
}
