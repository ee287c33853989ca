import { privacyKeyProblem } from '@message-bus/domain';
import { defineOptions, defineServerPart, type ConfigValues } from '@message-bus/server-kit';
import { collector } from '@message-bus/proto';
import { collectorGrpcHandlers } from './collector-grpc-handlers';
import { CollectorUseCases } from './collector-use-cases';
import { nodeKeyFiles } from './node-key-files';
import { loadPseudonymiser, logGeneratedKeyFile } from './privacy-key';

export const collectorServerOptions = defineOptions([
  {
    name: 'collector_port',
    kind: 'address',
    default: ':9000',
    description: 'gRPC address of the collector service.',
  },
  {
    name: 'collector_token',
    kind: 'string',
    secret: true,
    bearerToken: true,
    nonEmpty: true,
    description:
      'Bearer token collector clients must send (authorization: Bearer <token>); unset means no auth, empty is an error.',
  },
]);

/** A daily rotation's period; the overlap must be shorter (the pseudonymiser's own rule). */
const ROTATION_PERIOD_MS = 24 * 60 * 60 * 1000;

/** The key and schedule of device-id pseudonymisation. */
export const privacyOptions = defineOptions([
  {
    name: 'privacy.key',
    kind: 'string',
    secret: true,
    check: privacyKeyProblem,
    description:
      'Pseudonymisation key, hex or base64 of at least 32 bytes; every collector of a deployment must share it (required with --store etcd).',
  },
  {
    name: 'privacy.key_file',
    kind: 'path',
    description:
      'File holding the pseudonymisation key; with the embedded store and no key given, one is generated in data_dir.',
  },
  {
    name: 'privacy.rotation',
    kind: 'enum',
    choices: ['daily', 'never'],
    default: 'daily',
    description: 'How often pseudonyms change.',
  },
  {
    name: 'privacy.rotation_hour',
    kind: 'integer',
    min: 0,
    max: 23,
    default: '3',
    description: 'Hour of the day (UTC) at which a daily rotation happens.',
  },
  {
    name: 'privacy.overlap',
    kind: 'duration',
    default: '30m',
    check: (milliseconds) =>
      milliseconds >= ROTATION_PERIOD_MS ? 'must be less than the rotation period (24h)' : undefined,
    description:
      'After a rotation, sightings also carry the previous pseudonym this long, so trips across it still match.',
  },
]);

/** The collector's own options: its port and token, and the pseudonymisation key and schedule. */
const collectorPartOptions = [...collectorServerOptions, ...privacyOptions] as const;

export type CollectorPartConfig = ConfigValues<typeof collectorPartOptions>;

/**
 * `collector.CollectorService` on `collector_port`: what detectors send, pseudonymised
 * on arrival. A bad privacy key fails `prepare`, before anything is opened or bound.
 */
export const collectorPart = defineServerPart({
  name: 'collector',
  options: collectorPartOptions,
  grpcService: { name: 'collector.CollectorService', writes: true },
  prepare(config, store, logger) {
    const { pseudonymiser, generatedKeyFile } = loadPseudonymiser(
      { ...config, store: store.kind, data_dir: store.dataDir },
      nodeKeyFiles,
    );
    if (generatedKeyFile !== undefined) logGeneratedKeyFile(logger, generatedKeyFile);
    return {
      start({ repository, metrics, logger }) {
        const useCases = new CollectorUseCases({
          repository,
          pseudonymiser,
          metrics,
          logger,
          eventRetentionSeconds: store.eventRetentionSeconds,
        });
        return {
          service: {
            portOption: 'collector_port',
            address: config.collector_port,
            registration: {
              definition: collector.CollectorServiceService,
              implementation: collectorGrpcHandlers(useCases, logger),
            },
            tokens: config.collector_token === undefined ? [] : [config.collector_token],
          },
          stopAfterPorts: () => useCases.close(),
        };
      },
    };
  },
});
