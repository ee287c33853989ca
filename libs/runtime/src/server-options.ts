import {
  collectorServerOptions,
  healthcheckServerOptions,
  privacyOptions,
  queryServerOptions,
  runtimeOptions,
  storeOptions,
  tlsOptions,
  traveltimeOptions,
  type ConfigValues,
  type OptionDeclaration,
} from '@message-bus/server-kit';
import { idSegmentProblem } from '@message-bus/store-kv';

/**
 * What a server process does besides serving health: the collector or query gRPC
 * service on its port, or the travel-time worker (no port of its own).
 */
export type ServedRole = 'collector' | 'query' | 'traveltime';

/**
 * Config values of a server app: every option any server app knows. An app declares
 * the subset for its roles (serverOptionsFor); options of roles it does not serve are absent.
 */
export type ServerConfig = ConfigValues<typeof collectorServerOptions> &
  ConfigValues<typeof queryServerOptions> &
  ConfigValues<typeof healthcheckServerOptions> &
  ConfigValues<typeof storeOptions> &
  ConfigValues<typeof privacyOptions> &
  ConfigValues<typeof tlsOptions> &
  ConfigValues<typeof traveltimeOptions> &
  ConfigValues<typeof runtimeOptions>;

/** The options an app serving `roles` accepts: its ports, the store, and what its roles need. */
export function serverOptionsFor(roles: readonly ServedRole[]): readonly OptionDeclaration[] {
  const serves = (role: ServedRole) => roles.includes(role);
  return [
    ...(serves('collector') ? collectorServerOptions : []),
    ...(serves('query') ? queryServerOptions : []),
    ...healthcheckServerOptions,
    ...storeOptions.map((declaration) =>
      declaration.name === 'etcd.prefix' ? { ...declaration, check: prefixProblem } : declaration,
    ),
    ...(serves('collector') ? privacyOptions : []),
    ...(serves('traveltime') ? traveltimeOptions : []),
    ...(serves('collector') || serves('query') ? tlsOptions : []),
    ...runtimeOptions,
  ];
}

/**
 * Why `prefix` cannot be the store's key prefix (one key segment, like a detector id),
 * checked with the config so a bad one is a configuration error, not a failure to start.
 */
function prefixProblem(prefix: string): string | undefined {
  const problem = idSegmentProblem(prefix);
  return problem === undefined ? undefined : `${JSON.stringify(prefix)} ${problem}`;
}
