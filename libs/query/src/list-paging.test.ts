import { status } from '@grpc/grpc-js';
import { parseDetectorId, parseDetectorLink, type DetectorId } from '@message-bus/domain';
import type { query } from '@message-bus/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectStatus,
  queryCalls,
  startQueryServer,
  storeCases,
  withLimitedServer,
  type OpenStore,
  type QueryServer,
} from '../test/query-harness';
import { encodePageToken } from './list-paging';

/** Small pages, so a handful of records spans several. */
const SMALL_PAGES = { defaultPageSize: 2, maxPageSize: 5 };

/** Every page of a list, following next_page_token from the first page to the last. */
async function walk<Response extends { nextPageToken: string }>(
  read: (pageToken: string) => Promise<Response>,
): Promise<Response[]> {
  const pages: Response[] = [];
  let pageToken = '';
  do {
    const page = await read(pageToken);
    pages.push(page);
    pageToken = page.nextPageToken;
    expect(pages.length, 'the walk should end').toBeLessThan(1_000);
  } while (pageToken !== '');
  return pages;
}

const idsOf = (page: query.ListDetectorsResponse) => page.detectors.map((summary) => summary.loc?.detectorId);

// Each store case starts empty, so the lists hold exactly what a test put there.
describe.each(storeCases)('ListDetectors and ListLinks paging over gRPC on the $name', (storeCase) => {
  let store: OpenStore;
  let server: QueryServer;
  let calls: ReturnType<typeof queryCalls>;

  beforeAll(async () => {
    store = await storeCase.open();
    server = await startQueryServer(store.repository);
    calls = queryCalls(server.client);
  });
  afterAll(async () => {
    await server?.stop();
    await store?.close();
  });

  const putDetectors = async (ids: readonly string[]) => {
    for (let start = 0; start < ids.length; start += 100) {
      await Promise.all(
        ids.slice(start, start + 100).map((id) =>
          store.repository.detectors.putCoordinates({
            detectorId: parseDetectorId(id),
            coordinates: { latitude: 5_200_000, longitude: 500_000 },
          }),
        ),
      );
    }
  };

  // `a-b` sorts after `a` as an id but before `a/` as a store key: pages follow the ids.
  const detectorIds = ['p-c', 'p-a', 'p-a-b', 'p-b', 'p-a.z', 'p-e', 'p-d'];
  const inIdOrder = [...detectorIds].sort();

  describe('ListDetectors', () => {
    beforeAll(() => putDetectors(detectorIds));

    it('answers pages of page_size detectors in id order, each token leading to the next', async () => {
      const pages = await walk((pageToken) => calls.listDetectors({ pageSize: 3, pageToken }));

      expect(pages.map(idsOf)).toEqual([inIdOrder.slice(0, 3), inIdOrder.slice(3, 6), inIdOrder.slice(6)]);
      expect(pages.slice(0, -1).every((page) => page.nextPageToken !== '')).toBe(true);
      expect(pages.at(-1)?.nextPageToken).toBe('');
    });

    it('covers every detector exactly once, with page_size 0 as the default size', async () => {
      await withLimitedServer(store.repository, SMALL_PAGES, async (small) => {
        const pages = await walk((pageToken) => small.listDetectors({ pageToken }));
        expect(pages.map((page) => page.detectors.length)).toEqual([2, 2, 2, 1]);
        expect(pages.flatMap(idsOf)).toEqual(inIdOrder);
        // The largest page the server allows holds them in two.
        const largest = await walk((pageToken) => small.listDetectors({ pageSize: 5, pageToken }));
        expect(largest.map(idsOf)).toEqual([inIdOrder.slice(0, 5), inIdOrder.slice(5)]);
      });
    });

    it('continues after the last detector listed when detectors are created during the walk', async () => {
      const first = await calls.listDetectors({ pageSize: 2 });
      expect(idsOf(first)).toEqual(['p-a', 'p-a-b']);
      // One before the position (not listed now) and one after it (listed). The last
      // ListDetectors test of this store, as it adds to its detectors.
      await putDetectors(['p-0', 'p-cc']);
      const rest = await walk((pageToken) =>
        calls.listDetectors({ pageSize: 2, pageToken: pageToken || first.nextPageToken }),
      );
      expect(rest.flatMap(idsOf)).toEqual(['p-a.z', 'p-b', 'p-c', 'p-cc', 'p-d', 'p-e']);
    });

    it('refuses a negative or too large page_size and a token that is not its own', async () => {
      await expectStatus(
        calls.listDetectors({ pageSize: -1 }),
        status.INVALID_ARGUMENT,
        'page_size: must be 0 (the default, 1000) to 10000, got -1',
      );
      await expectStatus(
        calls.listDetectors({ pageSize: 10_001 }),
        status.INVALID_ARGUMENT,
        'page_size: must be 0 (the default, 1000) to 10000, got 10001',
      );
      const refusal =
        'page_token: is not a next_page_token of ListDetectors; send one unchanged, or empty for the first page';
      for (const pageToken of [
        'not a token',
        'bm9wZQ',
        encodePageToken('links', 'p-a' as DetectorId),
        Buffer.from('detectors:1:a/b').toString('base64url'),
        Buffer.from('detectors:2:p-a').toString('base64url'),
      ]) {
        await expectStatus(calls.listDetectors({ pageToken }), status.INVALID_ARGUMENT, refusal);
      }
    });
  });

  describe('ListLinks', () => {
    // Destination → its sources.
    const linked: Record<string, string[]> = {
      'q-d3': ['q-s1'],
      'q-d1': ['q-s2', 'q-s1', 'q-s3'],
      'q-d5': ['q-s4', 'q-s1'],
      'q-d2': ['q-s1'],
      'q-d4': ['q-s2', 'q-s3'],
    };
    const destinations = Object.keys(linked).sort();
    const wireLink = (destination: string) => ({
      destDetectorId: destination,
      srcDetectors: [...linked[destination]!]
        .sort()
        .map((source) => ({ detectorId: source, maxSeconds: 600n, minSeconds: 0n })),
    });

    beforeAll(async () => {
      for (const [destination, sources] of Object.entries(linked)) {
        for (const source of sources) {
          await store.repository.links.put(parseDetectorLink({ destination, source, maxSeconds: 600 }));
        }
      }
    });

    it('answers pages of page_size destinations, each with all its sources, in order', async () => {
      const pages = await walk((pageToken) => calls.listLinks('', { pageSize: 2, pageToken }));

      expect(pages.map((page) => page.links)).toEqual([
        destinations.slice(0, 2).map(wireLink),
        destinations.slice(2, 4).map(wireLink),
        destinations.slice(4).map(wireLink),
      ]);
      expect(pages.at(-1)?.nextPageToken).toBe('');
    });

    it('covers every link exactly once, with page_size 0 as the default size', async () => {
      await withLimitedServer(store.repository, SMALL_PAGES, async (small) => {
        const pages = await walk((pageToken) => small.listLinks('', { pageToken }));
        expect(pages.map((page) => page.links.length)).toEqual([2, 2, 1]);
        const pairs = pages.flatMap((page) =>
          page.links.flatMap((link) =>
            link.srcDetectors.map((source) => `${source.detectorId}>${link.destDetectorId}`),
          ),
        );
        const expected = Object.entries(linked).flatMap(([destination, sources]) =>
          sources.map((source) => `${source}>${destination}`),
        );
        expect(pairs).toHaveLength(expected.length);
        expect(new Set(pairs)).toEqual(new Set(expected));
      });
    });

    it('answers one destination in one page, without a next token', async () => {
      const page = await calls.listLinks('q-d1', { pageSize: 1 });
      expect(page).toEqual({ links: [wireLink('q-d1')], nextPageToken: '' });
    });

    it('refuses a negative or too large page_size and a token that is not its own', async () => {
      await expectStatus(
        calls.listLinks('', { pageSize: -5 }),
        status.INVALID_ARGUMENT,
        'page_size: must be 0 (the default, 1000) to 10000, got -5',
      );
      await expectStatus(
        calls.listLinks('', { pageSize: 2_147_483_647 }),
        status.INVALID_ARGUMENT,
        'page_size: must be 0 (the default, 1000) to 10000, got 2147483647',
      );
      const refusal =
        'page_token: is not a next_page_token of ListLinks; send one unchanged, or empty for the first page';
      const detectorsToken = (await calls.listDetectors({ pageSize: 1 })).nextPageToken;
      for (const pageToken of ['%%%', detectorsToken, `${encodePageToken('links', 'q-d1' as DetectorId)}=`]) {
        await expectStatus(calls.listLinks('', { pageToken }), status.INVALID_ARGUMENT, refusal);
      }
    });
  });

  it('answers a client that sets no paging field the first 1000, then the rest', async () => {
    const many = Array.from({ length: 1_001 }, (_, index) => `r-${String(index).padStart(4, '0')}`);
    await putDetectors(many);
    const first = await calls.listDetectors();
    expect(first.detectors).toHaveLength(1_000);
    expect(first.nextPageToken).not.toBe('');
    const rest = await walk((pageToken) =>
      calls.listDetectors({ pageToken: pageToken || first.nextPageToken }),
    );
    const listed = [...idsOf(first), ...rest.flatMap(idsOf)];
    expect(listed.filter((id) => id?.startsWith('r-'))).toEqual(many);
    expect(new Set(listed).size).toBe(listed.length);
  });
});
