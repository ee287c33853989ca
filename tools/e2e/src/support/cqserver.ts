import { AppProcess } from '@message-bus/tools/app-process';

/** The privacy key every test server shares (64 hex digits = 32 bytes), so pseudonyms survive restarts. */
export const TEST_PRIVACY_KEY = '6d6573736167652d6275732d652d6532652d746573742d6b65792d3332627974';

/** Where a test cqserver stores: lmdb in `dataDir`, or etcd at `endpoint` (comma-separated for a cluster) under `prefix`. */
export type TestStore =
  | { readonly kind: 'embedded'; readonly dataDir: string }
  | { readonly kind: 'etcd'; readonly endpoint: string; readonly prefix: string };

/**
 * Starts the built cqserver on `store` with every port on 127.0.0.1:0 (collector, query,
 * healthcheck, metrics), JSON logs at info (AppProcess keeps them), a fixed privacy key
 * and no pseudonym rotation: with daily rotation a sighting inside the overlap after the
 * rotation hour is stored under two pseudonyms, which would read as a duplicate here.
 * `nodeArgs` go to node itself, e.g. `['--unhandled-rejections=strict']`.
 */
export function startCqserver(
  store: TestStore,
  extraArgs: readonly string[] = [],
  nodeArgs: readonly string[] = [],
): Promise<AppProcess> {
  const storeArgs =
    store.kind === 'embedded'
      ? ['--store=embedded', `--data_dir=${store.dataDir}`]
      : ['--store=etcd', `--etcd.endpoints=${store.endpoint}`, `--etcd.prefix=${store.prefix}`];
  return AppProcess.start('cqserver', {
    args: [
      ...storeArgs,
      '--collector_port=127.0.0.1:0',
      '--query_port=127.0.0.1:0',
      '--healthcheck_port=127.0.0.1:0',
      '--metrics_port=127.0.0.1:0',
      `--privacy.key=${TEST_PRIVACY_KEY}`,
      '--privacy.rotation=never',
      '--log_level=info',
      ...extraArgs,
    ],
    nodeArgs,
  });
}
