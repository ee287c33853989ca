import { credentials } from '@grpc/grpc-js';
import { collector, query } from '@message-bus/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CqserverProcess } from './cqserver-process';
import { mbcliJson } from './mbcli';

/** One more than the server's default page (1,000), so a list spans two pages. */
const COUNT = 1_001;
const ids = Array.from({ length: COUNT }, (_, index) => `pg-${String(index).padStart(4, '0')}`);

describe('detectors list, links list and routes list read every page', () => {
  let server: CqserverProcess;
  beforeAll(async () => {
    server = await CqserverProcess.start();
    const client = new collector.CollectorServiceClient(
      `127.0.0.1:${server.ports.collector}`,
      credentials.createInsecure(),
    );
    const send = (call: (done: (error: Error | null) => void) => void) =>
      new Promise<void>((resolve, reject) => call((error) => (error ? reject(error) : resolve())));
    try {
      for (let start = 0; start < COUNT; start += 100) {
        await Promise.all(
          ids.slice(start, start + 100).flatMap((id) => [
            send((done) =>
              client.createCoordinates({ detectorId: id, latitude: 5_209_073n, longitude: 512_142n }, done),
            ),
            send((done) =>
              client.createDetectorLink(
                collector.DetectorLink.fromPartial({
                  destDetectorId: id,
                  srcDetectors: [{ detectorId: 'pg-source', maxSeconds: 600n }],
                }),
                done,
              ),
            ),
          ]),
        );
      }
      // A route over each of those links, once the links exist (CreateRoute checks them).
      for (let start = 0; start < COUNT; start += 100) {
        await Promise.all(
          ids
            .slice(start, start + 100)
            .map((id) =>
              send((done) =>
                client.createRoute(
                  collector.Route.fromPartial({ name: `rt-${id}`, detectorIds: ['pg-source', id] }),
                  done,
                ),
              ),
            ),
        );
      }
    } finally {
      client.close();
    }
  }, 90_000);
  afterAll(() => server?.stop());

  it('the server answers the first 1,000 detectors with a next page token', async () => {
    const client = new query.QueryServiceClient(
      `127.0.0.1:${server.ports.query}`,
      credentials.createInsecure(),
    );
    try {
      const first = await new Promise<query.ListDetectorsResponse>((resolve, reject) =>
        client.listDetectors(query.ListDetectorsRequest.fromPartial({}), (error, response) =>
          error ? reject(error) : resolve(response),
        ),
      );
      expect(first.detectors).toHaveLength(1_000);
      expect(first.nextPageToken).not.toBe('');
    } finally {
      client.close();
    }
  });

  it('detectors list shows every detector once, in id order', async () => {
    const rows = await mbcliJson<{ id: string }[]>(['detectors', 'list', ...server.hostFlags()]);
    expect(rows.map((row) => row.id)).toEqual(ids);
  });

  it('links list shows every link once, by destination', async () => {
    const rows = await mbcliJson<{ source: string; destination: string }[]>([
      'links',
      'list',
      ...server.hostFlags(),
    ]);
    expect(rows.map((row) => row.destination)).toEqual(ids);
    expect(new Set(rows.map((row) => row.source))).toEqual(new Set(['pg-source']));
  });

  it('routes list shows every route once, by name, over more than one page', async () => {
    const client = new query.QueryServiceClient(
      `127.0.0.1:${server.ports.query}`,
      credentials.createInsecure(),
    );
    try {
      const first = await new Promise<query.ListRoutesResponse>((resolve, reject) =>
        client.listRoutes(query.ListRoutesRequest.fromPartial({}), (error, response) =>
          error ? reject(error) : resolve(response),
        ),
      );
      expect(first.routes.length).toBeLessThan(COUNT);
      expect(first.nextPageToken).not.toBe('');
    } finally {
      client.close();
    }
    const rows = await mbcliJson<{ name: string; detectors: string[] }[]>([
      'routes',
      'list',
      ...server.hostFlags(),
    ]);
    expect(rows.map((row) => row.name)).toEqual(ids.map((id) => `rt-${id}`));
    expect(rows[COUNT - 1]!.detectors).toEqual(['pg-source', ids[COUNT - 1]]);
  });
});
