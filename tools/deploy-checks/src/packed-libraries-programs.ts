/**
 * The programs a consumer of the packed libraries runs, written into a fresh project
 * outside the workspace. They import only the published package names, as another team
 * would; the libraries' READMEs show the same calls.
 */

/** The master secret of the consumer programs' pseudonymiser, so the test can compute the same pseudonyms. */
export const consumerMasterSecret = new Uint8Array(32).fill(7);

/** The same secret as the servers' PRIVACY_KEY option takes it: hex text. */
export const consumerPrivacyKey = Buffer.from(consumerMasterSecret).toString('hex');

/** The raw identifiers the etcd program pseudonymises (one device seen twice). */
export const consumerRawDeviceIds = ['a4:5e:60:e8:11:2f', 'a4:5e:60:e8:11:30', 'a4:5e:60:e8:11:2f'];

/** When the etcd program's sightings happened: 1.5 s apart, exact to the nanosecond. */
export const consumerSightingTimes = [0n, 1n, 2n].map(
  (index) => 1_700_000_000_000_000_001n + index * 1_500_000_000n,
);

/** ESM: the etcd store through the port. Arguments: etcd endpoint, key prefix, privacy key text. */
export const etcdStoreProgram = `
import {
  Pseudonymiser,
  decodePrivacyKey,
  parseDetectorId,
  parseDetectorLink,
  parseRawDeviceId,
} from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { EtcdBackend } from '@message-bus/store-etcd';
import { KvRepository } from '@message-bus/store-kv';

const [endpoint, prefix, privacyKey] = process.argv.slice(2);
const repository = new KvRepository(new EtcdBackend({ hosts: [endpoint] }), { prefix });
const pseudonymiser = new Pseudonymiser({
  masterSecret: decodePrivacyKey(privacyKey),
  rotation: { kind: 'never' },
  overlapSeconds: 0,
});
const detectorId = parseDetectorId('gate-north');
const rawIds = ${JSON.stringify(consumerRawDeviceIds)};
const times = [${consumerSightingTimes.map((time) => `${time}n`).join(', ')}];
const sightings = rawIds.map((rawId, index) => ({
  detectorId,
  deviceId: pseudonymiser.pseudonymsAt('wifi', parseRawDeviceId(rawId), times[index]).current,
  time: times[index],
}));
try {
  await repository.events.append(sightings);
  await repository.events.append(sightings); // a retried append stores nothing twice
  const events = [];
  for await (const sighting of repository.events.list({ detectorIds: [detectorId], order: 'oldest_first' })) {
    events.push({ deviceId: sighting.deviceId, time: String(sighting.time) });
  }
  await repository.links.put(parseDetectorLink({ destination: 'gate-north', source: 'gate-south', maxSeconds: 600 }));
  const links = await repository.links.list(detectorId);
  let refusal;
  try {
    for await (const _ of repository.events.list({ detectorIds: [detectorId], range: { after: 2n, before: 1n } }));
  } catch (error) {
    refusal = { isPortError: error instanceof StoreInvalidArgumentError, code: error.code, message: error.message };
  }
  console.log(JSON.stringify({ health: await repository.health(), events, links, refusal }));
} finally {
  await repository.close();
}
`;

/** CommonJS: the embedded store in a directory, closed and opened again. Argument: the directory. */
export const embeddedStoreProgram = `
const { parseDetectorId, parseDetectorLink } = require('@message-bus/domain');
const { LmdbBackend } = require('@message-bus/store-embedded');
const { KvRepository } = require('@message-bus/store-kv');

async function main(path) {
  const detectorId = parseDetectorId('gate-north');
  const writer = new KvRepository(new LmdbBackend({ path }), { prefix: 'tdc' });
  await writer.events.append([
    { detectorId, deviceId: 'AAAAAAAAAAAAAAAAAAAAAA', time: 1700000000000000001n },
    { detectorId, deviceId: 'BBBBBBBBBBBBBBBBBBBBBB', time: 1700000060000000002n },
  ]);
  await writer.links.put(parseDetectorLink({ destination: 'gate-north', source: 'gate-south', maxSeconds: 600 }));
  await writer.close();

  const reader = new KvRepository(new LmdbBackend({ path }), { prefix: 'tdc' });
  try {
    const newest = [];
    for await (const sighting of reader.events.list({ detectorIds: [detectorId], limitPerDetector: 1 })) {
      newest.push({ deviceId: sighting.deviceId, time: String(sighting.time) });
    }
    const links = await reader.links.list();
    console.log(JSON.stringify({ health: await reader.health(), newest, links }));
  } finally {
    await reader.close();
  }
}

main(process.argv[2]).catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
`;

/**
 * CommonJS: the proto stubs. A message encoded and decoded, then sent over loopback
 * gRPC from the generated client to a server registered with the generated service.
 */
export const protoProgram = `
const { Server, ServerCredentials, credentials } = require('@grpc/grpc-js');
const { collector, Empty, FILE_DESCRIPTOR_SET_BASE64 } = require('@message-bus/proto');

const eventLog = collector.EventLog.fromPartial({
  loc: { detectorId: 'gate-north', latitude: 5232000n, longitude: 1320000n },
  events: [{ time: [{ seconds: 1700000000n, nanos: 1 }], deviceId: { $case: 'wifi', value: 'a4:5e:60:e8:11:2f' } }],
});
const bytes = collector.EventLog.encode(eventLog).finish();
const decoded = collector.EventLog.decode(bytes);

const server = new Server();
let received;
server.addService(collector.CollectorServiceService, {
  createEventLog: (call, callback) => {
    received = call.request;
    callback(null, Empty.create());
  },
});
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (bindError, port) => {
  if (bindError) throw bindError;
  const client = new collector.CollectorServiceClient('127.0.0.1:' + port, credentials.createInsecure());
  client.createEventLog(eventLog, (error) => {
    client.close();
    server.forceShutdown();
    console.log(
      JSON.stringify({
        encodedHex: Buffer.from(bytes).toString('hex'),
        decoded: collector.EventLog.toJSON(decoded),
        createEventLog: error ? error.details : 'ok',
        received: received && collector.EventLog.toJSON(received),
        descriptorSetBase64: FILE_DESCRIPTOR_SET_BASE64,
      }),
    );
  });
});
`;

/** The packages and subpath exports a consumer can import. */
export const packedEntryPoints = [
  '@message-bus/domain',
  '@message-bus/repository',
  '@message-bus/repository/testing',
  '@message-bus/store-kv',
  '@message-bus/store-kv/testing',
  '@message-bus/store-etcd',
  '@message-bus/store-embedded',
  '@message-bus/proto',
] as const;

/**
 * ESM: what `import` and `require` see of each entry point. The `testing` subpaths hold
 * the conformance suites, which load vitest (an optional peer dependency, not installed
 * here): they are resolved, not loaded.
 */
export const exportsProgram = `
import { createRequire } from 'node:module';
import { relative } from 'node:path';

const require = createRequire(import.meta.url);
const entryPoints = ${JSON.stringify(packedEntryPoints)};
const result = {};
for (const entryPoint of entryPoints) {
  const file = relative(process.cwd(), require.resolve(entryPoint));
  if (entryPoint.endsWith('/testing')) {
    result[entryPoint] = { file };
    continue;
  }
  const required = Object.keys(require(entryPoint)).sort();
  const imported = Object.keys(await import(entryPoint));
  result[entryPoint] = { file, required, missingFromImport: required.filter((name) => !imported.includes(name)) };
}
console.log(JSON.stringify(result));
`;

/**
 * TypeScript against the packages' .d.ts files, as CommonJS (.ts in a `type: commonjs`
 * project) and as ESM (.mts). The `@ts-expect-error` fails the check if the types
 * degrade to `any`.
 */
export const typescriptConsumer = `
import { parseDetectorId, type DetectorId, type Sighting } from '@message-bus/domain';
import { StoreInvalidArgumentError, type Repository } from '@message-bus/repository';
import { EtcdBackend } from '@message-bus/store-etcd';
import { LmdbBackend } from '@message-bus/store-embedded';
import { KvRepository, type KvBackend } from '@message-bus/store-kv';
import { collector, type Timestamp } from '@message-bus/proto';

export function openRepository(store: 'etcd' | 'embedded'): Repository {
  const backend: KvBackend =
    store === 'etcd' ? new EtcdBackend({ hosts: ['http://127.0.0.1:2379'] }) : new LmdbBackend({ path: './store' });
  return new KvRepository(backend, { prefix: 'tdc' });
}

export async function newest(repository: Repository, detector: string): Promise<Sighting | undefined> {
  const detectorId: DetectorId = parseDetectorId(detector);
  for await (const sighting of repository.events.list({ detectorIds: [detectorId], limitPerDetector: 1 })) {
    return sighting;
  }
  return undefined;
}

export const invalid = (error: unknown): boolean => error instanceof StoreInvalidArgumentError;
export const time: Timestamp = { seconds: 1_700_000_000n, nanos: 1 };
export const bytes: Uint8Array = collector.EventLog.encode(
  collector.EventLog.fromPartial({ loc: { detectorId: 'gate-north' } }),
).finish();
// @ts-expect-error a plain string is not a validated DetectorId
export const unchecked: DetectorId = 'gate-north';
`;
