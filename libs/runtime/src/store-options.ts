import { defineOptions } from '@message-bus/server-kit';
import { idSegmentProblem } from '@message-bus/store-kv';

/** Where data lives: the embedded store in a directory, or etcd. */
export const storeOptions = defineOptions([
  {
    name: 'store',
    kind: 'enum',
    choices: ['embedded', 'etcd'],
    default: 'embedded',
    description: 'Storage backend: embedded (lmdb in data_dir, single node) or etcd.',
  },
  {
    name: 'data_dir',
    kind: 'path',
    default: './data',
    description: 'Directory of the embedded store and its generated privacy key.',
  },
  {
    name: 'etcd.prefix',
    kind: 'string',
    default: 'tdc',
    check: prefixProblem,
    description: 'Key prefix of this deployment in etcd.',
  },
  {
    name: 'etcd.endpoints',
    kind: 'list',
    default: 'http://127.0.0.1:2379',
    description: 'etcd endpoints, comma-separated.',
  },
  {
    name: 'retention',
    kind: 'duration',
    default: '168h',
    description: 'How long raw sightings are kept.',
  },
  {
    name: 'traveltime_retention',
    kind: 'duration',
    default: '90d',
    description: 'How long travel-time estimates are kept (applied when the worker writes them).',
  },
  {
    name: 'status_retention',
    kind: 'duration',
    default: '30d',
    description: 'How long detector status reports are kept (applied when the collector writes them).',
  },
  {
    name: 'profile_retention',
    kind: 'duration',
    default: '14d',
    description:
      "How long a link's or route's typical profile is kept after the worker last computed it (so targets no longer computed drop out).",
  },
  {
    name: 'alert_retention',
    kind: 'duration',
    default: '90d',
    description: 'How long an alert is kept after it was last raised, updated or cleared.',
  },
]);

/**
 * Why `prefix` cannot be the store's key prefix (one key segment, like a detector id),
 * checked with the config so a bad one is a configuration error, not a failure to start.
 */
function prefixProblem(prefix: string): string | undefined {
  const problem = idSegmentProblem(prefix);
  return problem === undefined ? undefined : `${JSON.stringify(prefix)} ${problem}`;
}
