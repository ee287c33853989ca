import { status, type ServiceError } from '@grpc/grpc-js';
import { query } from '@message-bus/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allLinks,
  countingTravelTimeFollows,
  expectStatus,
  intoDestination,
  oneLink,
  queryCalls,
  startQueryServer,
  storeCases,
  type OpenStore,
  type QueryServer,
} from '../test/query-harness';

const ALLOWED = "allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'";
const LIMIT_RULE = 'the limit per link is 0 (the default, 1440) to 100000';
const NOT_SET =
  'links: is not set; choose links.all, links.link, links.dest_detector_id, links.route or links.all_routes';

type Rejected<Request> = readonly {
  readonly name: string;
  readonly request: query.DeepPartial<Request>;
  readonly details: string;
}[];

/** Bad `links`, each with the INVALID_ARGUMENT details every travel-time RPC must give. */
const badSelectors: Rejected<query.StreamTravelTimesRequest> = [
  { name: 'no links', request: {}, details: NOT_SET },
  { name: 'links with no choice', request: { links: {} }, details: NOT_SET },
  {
    name: 'all set to false',
    request: { links: { selector: { $case: 'all', value: false } } },
    details:
      'links.all: is false; set it to true to select every link, or choose links.link or links.dest_detector_id',
  },
  {
    name: 'a link with an empty source',
    request: { links: oneLink('', 'b') },
    details: 'links.link.source_detector_id: is empty; an id has 1 to 64 characters',
  },
  {
    name: "a '/' in a link's destination",
    request: { links: oneLink('a', 'b/c') },
    details: `links.link.dest_detector_id: has U+002F '/' at character 2; ${ALLOWED}`,
  },
  {
    name: 'a link from a detector to itself',
    request: { links: oneLink('a', 'a') },
    details:
      'links.link.source_detector_id: is the destination itself ("a"); a detector cannot link to itself',
  },
  {
    name: 'an empty destination',
    request: { links: intoDestination('') },
    details: 'links.dest_detector_id: is empty; an id has 1 to 64 characters',
  },
  {
    name: 'a 65-character destination',
    request: { links: intoDestination('x'.repeat(65)) },
    details: 'links.dest_detector_id: is 65 characters long; the limit is 64',
  },
  {
    name: "a '/' in a route",
    request: { links: { selector: { $case: 'route', value: 'a/b' } } },
    details: `links.route: has U+002F '/' at character 2; ${ALLOWED}`,
  },
  {
    name: 'an empty route',
    request: { links: { selector: { $case: 'route', value: '' } } },
    details: 'links.route: is empty; an id has 1 to 64 characters',
  },
  {
    name: 'all_routes set to false',
    request: { links: { selector: { $case: 'allRoutes', value: false } } },
    details:
      'links.all_routes: is false; set it to true to select every route, or choose links.route or a links choice',
  },
];

/** Bad range or limit of GetTravelTimes, with a valid selector. */
const badRangesAndLimits: Rejected<query.GetTravelTimesRequest> = [
  {
    name: 'after later than before',
    request: {
      links: allLinks,
      range: { after: { seconds: 1_700_000_000n, nanos: 1 }, before: { seconds: 1_700_000_000n, nanos: 0 } },
    },
    details:
      'range: after (2023-11-14T22:13:20.000000001Z) is later than before (2023-11-14T22:13:20.000000000Z); ' +
      'after is inclusive and before exclusive, so after must not be later',
  },
  {
    name: 'after.nanos of a whole second',
    request: { links: allLinks, range: { after: { seconds: 1_700_000_000n, nanos: 1_000_000_000 } } },
    details: 'range.after.nanos: is 1000000000; nanos must be 0 to 999999999',
  },
  {
    name: 'a negative limit',
    request: { links: allLinks, limit: -1n },
    details: `limit: is -1; ${LIMIT_RULE}`,
  },
  {
    name: 'a limit above 100,000',
    request: { links: allLinks, limit: 100_001n },
    details: `limit: is 100001; ${LIMIT_RULE}`,
  },
];

describe.each(storeCases)('malformed travel-time requests on the $name', (storeCase) => {
  let store: OpenStore;
  let counted: ReturnType<typeof countingTravelTimeFollows>;
  let server: QueryServer;
  let calls: ReturnType<typeof queryCalls>;

  beforeAll(async () => {
    store = await storeCase.open();
    counted = countingTravelTimeFollows(store.repository);
    server = await startQueryServer(counted.repository);
    calls = queryCalls(server.client);
  });
  afterAll(async () => {
    await server.stop();
    await store.close();
  });

  it.each([...badSelectors, ...badRangesAndLimits])(
    'GetTravelTimes rejects $name',
    async ({ request, details }) => {
      await expectStatus(calls.getTravelTimes(request), status.INVALID_ARGUMENT, details);
    },
  );

  it.each(badSelectors)('GetLatestTravelTimes rejects $name', async ({ request, details }) => {
    await expectStatus(calls.getLatestTravelTimes(request), status.INVALID_ARGUMENT, details);
  });

  // No valid stream is opened in this file, so any follow started is a rejected call's.
  it.each(badSelectors)(
    'StreamTravelTimes rejects $name before following the store',
    async ({ request, details }) => {
      const stream = server.client.streamTravelTimes(query.StreamTravelTimesRequest.fromPartial(request));
      const received: query.TravelTimeEstimate[] = [];
      stream.on('data', (estimate: query.TravelTimeEstimate) => received.push(estimate));
      const error = await new Promise<ServiceError>((resolve, reject) => {
        stream.on('error', resolve);
        stream.on('end', () => reject(new Error('the stream ended without an error')));
      });
      expect({
        code: error.code,
        details: error.details,
        received,
        follows: counted.startedFollows(),
      }).toEqual({
        code: status.INVALID_ARGUMENT,
        details,
        received: [],
        follows: 0,
      });
    },
  );
});
