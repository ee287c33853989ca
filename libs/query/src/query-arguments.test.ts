import { status, type ServiceError } from '@grpc/grpc-js';
import { query } from '@message-bus/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectStatus,
  queryCalls,
  startQueryServer,
  storeCases,
  type OpenStore,
  type QueryServer,
} from '../test/query-harness';

const ALLOWED = "allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'";
const LIMIT_RULE = 'the limit per detector is 0 (the default, 1000) to 100000';
const ids = (count: number) => Array.from({ length: count }, (_, index) => `detector-${index}`);

/** Malformed requests, each with the INVALID_ARGUMENT details it must get. */
const malformedRequests: readonly {
  readonly name: string;
  readonly request: query.DeepPartial<query.GetEventsRequest>;
  readonly details: string;
}[] = [
  { name: 'no detector ids', request: {}, details: 'detector_ids: is empty; give 1 to 100 detector ids' },
  {
    name: '101 detector ids',
    request: { detectorIds: ids(101) },
    details: 'detector_ids: has 101 ids; at most 100 are allowed in one request',
  },
  {
    name: "a '/' in an id",
    request: { detectorIds: ['ok', 'a/b'] },
    details: `detector_ids[1]: has U+002F '/' at character 2; ${ALLOWED}`,
  },
  {
    name: 'a control character in an id',
    request: { detectorIds: ['a\nb'] },
    details: `detector_ids[0]: has U+000A at character 2; ${ALLOWED}`,
  },
  {
    name: 'a space in an id',
    request: { detectorIds: ['a b'] },
    details: `detector_ids[0]: has U+0020 ' ' at character 2; ${ALLOWED}`,
  },
  {
    name: 'an empty id',
    request: { detectorIds: ['a', ''] },
    details: 'detector_ids[1]: is empty; an id has 1 to 64 characters',
  },
  {
    name: 'a 65-character id',
    request: { detectorIds: ['x'.repeat(65)] },
    details: 'detector_ids[0]: is 65 characters long; the limit is 64',
  },
  {
    name: 'a repeated id',
    request: { detectorIds: ['a', 'b', 'a'] },
    details: 'detector_ids[2]: repeats "a", already given at detector_ids[0]',
  },
  {
    name: 'after later than before',
    request: {
      detectorIds: ['a'],
      range: { after: { seconds: 1_700_000_000n, nanos: 1 }, before: { seconds: 1_700_000_000n, nanos: 0 } },
    },
    details:
      'range: after (2023-11-14T22:13:20.000000001Z) is later than before (2023-11-14T22:13:20.000000000Z); ' +
      'after is inclusive and before exclusive, so after must not be later',
  },
  {
    name: 'a negative limit',
    request: { detectorIds: ['a'], limit: -1n },
    details: `limit: is -1; ${LIMIT_RULE}`,
  },
  {
    name: 'a limit above 100,000',
    request: { detectorIds: ['a'], limit: 100_001n },
    details: `limit: is 100001; ${LIMIT_RULE}`,
  },
  {
    name: 'the largest int64 as limit',
    request: { detectorIds: ['a'], limit: 2n ** 63n - 1n },
    details: `limit: is 9223372036854775807; ${LIMIT_RULE}`,
  },
  {
    name: 'after.nanos of a whole second',
    request: { detectorIds: ['a'], range: { after: { seconds: 1_700_000_000n, nanos: 1_000_000_000 } } },
    details: 'range.after.nanos: is 1000000000; nanos must be 0 to 999999999',
  },
  {
    name: 'negative before.nanos',
    request: { detectorIds: ['a'], range: { before: { seconds: 1_700_000_000n, nanos: -1 } } },
    details: 'range.before.nanos: is -1; nanos must be 0 to 999999999',
  },
  {
    name: 'before.seconds past year 9999',
    request: { detectorIds: ['a'], range: { before: { seconds: 253_402_300_800n, nanos: 0 } } },
    details:
      'range.before.seconds: is 253402300800; a Timestamp is between -62135596800 (0001-01-01T00:00:00Z) ' +
      'and 253402300799 (9999-12-31T23:59:59Z)',
  },
  {
    name: 'after.seconds before year 1',
    request: { detectorIds: ['a'], range: { after: { seconds: -62_135_596_801n, nanos: 0 } } },
    details:
      'range.after.seconds: is -62135596801; a Timestamp is between -62135596800 (0001-01-01T00:00:00Z) ' +
      'and 253402300799 (9999-12-31T23:59:59Z)',
  },
];

describe.each(storeCases)('malformed query requests on the $name', (storeCase) => {
  let store: OpenStore;
  let server: QueryServer;
  let calls: ReturnType<typeof queryCalls>;

  beforeAll(async () => {
    store = await storeCase.open();
    server = await startQueryServer(store.repository);
    calls = queryCalls(server.client);
  });
  afterAll(async () => {
    await server.stop();
    await store.close();
  });

  it.each(malformedRequests)('GetEvents rejects $name', async ({ request, details }) => {
    await expectStatus(calls.getEvents(request), status.INVALID_ARGUMENT, details);
  });

  it.each(malformedRequests)('GetBatteryVoltage rejects $name', async ({ request, details }) => {
    await expectStatus(calls.getBatteryVoltage(request), status.INVALID_ARGUMENT, details);
  });

  it.each(malformedRequests)(
    'StreamEvents rejects $name before sending anything',
    async ({ request, details }) => {
      const stream = server.client.streamEvents(query.GetEventsRequest.fromPartial(request));
      const received: query.DetectionEvent[] = [];
      stream.on('data', (event: query.DetectionEvent) => received.push(event));
      const error = await new Promise<ServiceError>((resolve, reject) => {
        stream.on('error', resolve);
        stream.on('end', () => reject(new Error('the stream ended without an error')));
      });
      expect({ code: error.code, details: error.details, received }).toEqual({
        code: status.INVALID_ARGUMENT,
        details,
        received: [],
      });
    },
  );
});
