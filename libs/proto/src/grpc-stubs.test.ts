import { credentials, Server, ServerCredentials, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collector, query } from './index';

/**
 * The generated service definitions and clients over real gRPC on loopback: method
 * paths, serializers and streaming kinds agree between server and client.
 */
/** An open congestion alert whose evidence figures travel in a map. */
const congestionAlert: query.Alert = {
  id: '01KBX0Q4W0ABCDEFGHJKMNPQRS',
  kind: query.AlertKind.ALERT_KIND_CONGESTION,
  severity: query.AlertSeverity.ALERT_SEVERITY_WARNING,
  start: { seconds: 1_563_568_200n, nanos: 0 },
  end: undefined,
  subject: { $case: 'route', value: 'corridor' },
  evidence: 'travel time 412 s is 2.6x the typical 158 s for 4 of the last 5 intervals',
  figures: { ratio_to_typical: 2.6, intervals: 4 },
  updated: { seconds: 1_563_568_500n, nanos: 0 },
};

/** Two estimates of `link`: one whose statistics are 0, one without statistics. */
function travelTimeEstimates(link: query.LinkRef): query.TravelTimeEstimate[] {
  const common = {
    ...link,
    intervalEnd: { seconds: 1_563_568_200n, nanos: 0 },
    windowSeconds: 900n,
    route: '',
    routeMethod: query.RouteEstimateMethod.ROUTE_ESTIMATE_METHOD_UNSPECIFIED,
    level: query.CongestionLevel.CONGESTION_LEVEL_UNSPECIFIED,
  };
  return [
    {
      ...common,
      medianSeconds: 0,
      p15Seconds: 0,
      p85Seconds: 0,
      meanSeconds: 0,
      validSamples: 3n,
      totalSamples: 4n,
      speedKmh: 0,
      status: query.EstimateStatus.ESTIMATE_STATUS_OK,
    },
    {
      ...common,
      validSamples: 0n,
      totalSamples: 0n,
      status: query.EstimateStatus.ESTIMATE_STATUS_INSUFFICIENT_DATA,
    },
  ];
}

describe('grpc-js service stubs', () => {
  const received: collector.EventLog[] = [];
  const server = new Server();
  let address: string;

  beforeAll(async () => {
    const collectorImplementation: collector.CollectorServiceServer = {
      createEventLog: (call, respond) => {
        received.push(call.request);
        respond(null, {});
      },
      createDetectorLink: (_call, respond) => respond(null, {}),
      streamEventLog: (call, respond) => {
        const counts = { mobile: 0n, bluetooth: 0n, wifi: 0n };
        call.on('data', (eventLog: collector.EventLog) => {
          for (const event of eventLog.events) if (event.deviceId) counts[event.deviceId.$case] += 1n;
        });
        call.on('end', () => respond(null, counts));
      },
      createCoordinates: (_call, respond) => respond(null, {}),
      createDetectorStatus: (_call, respond) => respond(null, {}),
      deleteDetectorLink: (_call, respond) => respond(null, {}),
      createRoute: (_call, respond) => respond(null, {}),
      deleteRoute: (_call, respond) => respond(null, {}),
    };
    const queryImplementation: query.QueryServiceServer = {
      getEvents: (_call, respond) => respond(null, { events: [] }),
      streamEvents: (call) => {
        for (const detectorId of call.request.detectorIds) {
          call.write({ time: [{ seconds: 1_563_568_123n, nanos: 7 }], deviceId: 'pseudonym', detectorId });
        }
        call.end();
      },
      getBatteryVoltage: (_call, respond) => respond(null, { reports: [] }),
      listDetectors: (_call, respond) => respond(null, { detectors: [], nextPageToken: '' }),
      listLinks: (_call, respond) => respond(null, { links: [], nextPageToken: '' }),
      getTravelTimes: (_call, respond) => respond(null, { estimates: [] }),
      getLatestTravelTimes: (_call, respond) => respond(null, { estimates: [] }),
      recomputeTravelTimes: (call) => {
        call.write({
          destinations: 1n,
          destinationsDone: 1n,
          spanSeconds: 60n,
          spanSecondsDone: 60n,
          done: true,
        });
        call.end();
      },
      streamTravelTimes: (call) => {
        const link = call.request.links?.selector;
        if (link?.$case === 'link') {
          for (const estimate of travelTimeEstimates(link.value)) call.write(estimate);
        }
        call.end();
      },
      listRoutes: (_call, respond) =>
        respond(null, { routes: [{ name: 'corridor', detectorIds: ['d1', 'd2', 'd3'] }], nextPageToken: '' }),
      getOriginDestination: (call, respond) =>
        respond(null, { detectorIds: call.request.detectorIds, cells: [], singleDetectorTrips: 0n }),
      getTypicalProfile: (_call, respond) => respond({ code: 5, details: 'no typical profile yet' }),
      getReliability: (call, respond) =>
        respond(null, { target: call.request.target, range: call.request.range, intervals: 0n }),
      listAlerts: (_call, respond) => respond(null, { alerts: [congestionAlert], nextPageToken: '' }),
      streamAlerts: (call) => {
        call.write(congestionAlert);
        call.end();
      },
    };
    server.addService(collector.CollectorServiceService, collectorImplementation);
    server.addService(query.QueryServiceService, queryImplementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, boundPort) =>
        error ? reject(error) : resolve(boundPort),
      ),
    );
    address = `127.0.0.1:${port}`;
  });

  afterAll(() => {
    server.forceShutdown();
  });

  it('serves a unary RPC under the original method path', async () => {
    expect(collector.CollectorServiceService.createEventLog.path).toBe(
      '/collector.CollectorService/CreateEventLog',
    );
    const client = new collector.CollectorServiceClient(address, credentials.createInsecure());
    const eventLog: collector.EventLog = {
      loc: { detectorId: 'd1', latitude: 5_435_215n, longitude: -1_864_661n },
      events: [
        {
          time: [{ seconds: 1_563_568_123n, nanos: 456_789_012 }],
          deviceId: { $case: 'mobile', value: 'm1' },
        },
      ],
    };
    await new Promise<void>((resolve, reject) =>
      client.createEventLog(eventLog, (error: ServiceError | null) => (error ? reject(error) : resolve())),
    );
    client.close();
    expect(received).toEqual([eventLog]);
  });

  it('counts a client stream per radio', async () => {
    const client = new collector.CollectorServiceClient(address, credentials.createInsecure());
    const response = await new Promise<collector.SendStreamResponse>((resolve, reject) => {
      const stream = client.streamEventLog((error, counts) =>
        error || !counts ? reject(error) : resolve(counts),
      );
      stream.write({ loc: undefined, events: [{ time: [], deviceId: { $case: 'wifi', value: 'w1' } }] });
      stream.write({
        loc: undefined,
        events: [
          { time: [], deviceId: { $case: 'wifi', value: 'w2' } },
          { time: [], deviceId: { $case: 'bluetooth', value: 'b1' } },
        ],
      });
      stream.end();
    });
    client.close();
    expect(response).toEqual({ mobile: 0n, bluetooth: 1n, wifi: 2n });
  });

  it('delivers a server stream in order', async () => {
    const client = new query.QueryServiceClient(address, credentials.createInsecure());
    const events: query.DetectionEvent[] = [];
    const stream = client.streamEvents({ detectorIds: ['d1', 'd2'], range: undefined, limit: 0n });
    for await (const event of stream) events.push(event as query.DetectionEvent);
    client.close();
    expect(events).toEqual([
      { time: [{ seconds: 1_563_568_123n, nanos: 7 }], deviceId: 'pseudonym', detectorId: 'd1' },
      { time: [{ seconds: 1_563_568_123n, nanos: 7 }], deviceId: 'pseudonym', detectorId: 'd2' },
    ]);
  });

  it('keeps a proto3 optional statistic of 0 apart from an absent one', async () => {
    expect(query.QueryServiceService.streamTravelTimes.path).toBe('/query.QueryService/StreamTravelTimes');
    const client = new query.QueryServiceClient(address, credentials.createInsecure());
    const link = { sourceDetectorId: 'd1', destDetectorId: 'd2' };
    const estimates: query.TravelTimeEstimate[] = [];
    const stream = client.streamTravelTimes({ links: { selector: { $case: 'link', value: link } } });
    for await (const estimate of stream) estimates.push(estimate as query.TravelTimeEstimate);
    client.close();
    const [zero, absent] = estimates;
    expect(estimates).toEqual(travelTimeEstimates(link));
    // The point of `optional`: a 0 arrives as 0, an absent value as undefined.
    expect([zero?.medianSeconds, zero?.speedKmh]).toEqual([0, 0]);
    expect([absent?.medianSeconds, absent?.speedKmh]).toEqual([undefined, undefined]);
  });

  it('carries an alert oneof subject and map of figures through a stream', async () => {
    expect(query.QueryServiceService.streamAlerts.path).toBe('/query.QueryService/StreamAlerts');
    const client = new query.QueryServiceClient(address, credentials.createInsecure());
    const alerts: query.Alert[] = [];
    for await (const alert of client.streamAlerts({ kinds: [], minSeverity: 0 }))
      alerts.push(alert as query.Alert);
    client.close();
    expect(alerts).toEqual([congestionAlert]);
  });

  it('serves the route RPCs under their added method paths', () => {
    expect(collector.CollectorServiceService.createRoute.path).toBe(
      '/collector.CollectorService/CreateRoute',
    );
    expect(query.QueryServiceService.listRoutes.path).toBe('/query.QueryService/ListRoutes');
  });
});
