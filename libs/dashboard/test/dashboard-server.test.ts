import type { DetectorSightings, EstimateView, NetworkSnapshot, Series } from '@message-bus/dashboard-web';
import {
  parseDetectorId,
  parseRouteName,
  type DetectorId,
  type TravelTimeEstimate,
  type UnixNanos,
} from '@message-bus/domain';
import { query } from '@message-bus/proto';
import { randomUUID } from 'node:crypto';
import { get } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createQueryClient } from '../src';
import {
  EventStreamReader,
  openTestStore,
  startQueryServer,
  startTestDashboard,
  writeTestPages,
  type TestDashboard,
  type TestQueryServer,
  type TestStore,
} from './dashboard-harness';

const MINUTE = 60_000_000_000n;
/** Ten minutes past a whole hour, an hour ago or so: inside the default 3-hour series range. */
const BASE: UnixNanos =
  (BigInt(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000) + 600_000n) * 1_000_000n;
const minute = (n: number): UnixNanos => BASE + BigInt(n) * MINUTE;
const iso = (nanos: UnixNanos) => new Date(Number(nanos / 1_000_000n)).toISOString();
const id = (name: string): DetectorId => parseDetectorId(`${name}-${randomUUID().slice(0, 8)}`);

const [a, b, c] = [id('a'), id('b'), id('c')];
const route = parseRouteName(`north-${randomUUID().slice(0, 8)}`);
const DEVICE = 'aa:bb:cc:dd:ee:ff';
/** Alert ids are ULIDs of their start's millisecond. */
const [congestionId, silentId] = [ulid(Number(minute(1) / 1_000_000n)), ulid(Number(minute(0) / 1_000_000n))];

function estimate(
  source: DetectorId,
  destination: DetectorId,
  intervalEnd: UnixNanos,
  median: number,
): TravelTimeEstimate {
  return {
    source,
    destination,
    intervalEnd,
    windowSeconds: 300,
    medianSeconds: median,
    p15Seconds: median - 10,
    p85Seconds: median + 15,
    meanSeconds: median + 1,
    validSamples: 7,
    totalSamples: 9,
    speedKmh: 45.5,
    status: 'ok',
  };
}

describe('the dashboard server over a real QueryService', () => {
  let store: TestStore;
  let queryServer: TestQueryServer;
  let pages: Awaited<ReturnType<typeof writeTestPages>>;
  let dashboard: TestDashboard;

  beforeAll(async () => {
    store = await openTestStore();
    const { repository } = store;
    await repository.detectors.putCoordinates({
      detectorId: a,
      coordinates: { latitude: 5_222_970, longitude: 2_101_220 },
    });
    await repository.detectors.putCoordinates({
      detectorId: b,
      coordinates: { latitude: 5_224_000, longitude: 2_103_000 },
    });
    await repository.detectors.putCoordinates({
      detectorId: c,
      coordinates: { latitude: 5_225_000, longitude: 2_105_000 },
    });
    await repository.detectors.appendStatus({
      detectorId: a,
      time: minute(0),
      batteryVoltage: 12.5,
      activeRadios: ['wifi', 'bluetooth'],
      detectionCounts: { wifi: 3n, bluetooth: 4n },
    });
    await repository.detectorHealth.put([
      {
        detectorId: b,
        checkedAt: minute(3),
        lastSeen: minute(2),
        problems: ['detector_silent'],
        clockSkewSeconds: 1.5,
      },
      { detectorId: c, checkedAt: minute(3), problems: [] },
    ]);
    await repository.links.put({ source: a, destination: b, maxSeconds: 600 });
    await repository.links.put({ source: b, destination: c, maxSeconds: 900 });
    await repository.routes.put({ name: route, detectorIds: [a, b, c] });
    await repository.travelTimes.put([estimate(a, b, minute(1), 120), estimate(a, b, minute(2), 130)]);
    await repository.routeTravelTimes.put([
      { ...estimate(a, c, minute(2), 300), route, routeMethod: 'sum_of_links' },
    ]);
    await repository.alerts.put([
      {
        id: congestionId,
        kind: 'congestion',
        severity: 'warning',
        subject: { kind: 'link', source: a, destination: b },
        start: minute(1),
        updated: minute(2),
        evidence: 'travel time 130 s is 2.0x the typical 65 s',
        figures: { ratio_to_typical: 2 },
      },
      {
        id: silentId,
        kind: 'detector_silent',
        severity: 'critical',
        subject: { kind: 'detector', detectorId: c },
        start: minute(0),
        end: minute(1),
        updated: minute(1),
        evidence: 'no sighting for 30 min',
        figures: {},
      },
    ]);
    await repository.events.append([
      { detectorId: a, deviceId: DEVICE, time: BigInt(Date.now() - 20 * 60_000) * 1_000_000n },
      { detectorId: a, deviceId: 'other-device-42', time: BigInt(Date.now() - 19 * 60_000) * 1_000_000n },
      { detectorId: a, deviceId: DEVICE, time: BigInt(Date.now() - 2 * 60_000) * 1_000_000n },
    ]);
    queryServer = await startQueryServer(repository);
    pages = await writeTestPages();
    dashboard = await startTestDashboard({
      query: createQueryClient({ address: queryServer.address }),
      webRoot: pages.webRoot,
      tileUrl: 'https://{s}.tile.example.org/{z}/{x}/{y}.png',
      tileAttribution: '© example',
    });
  });
  afterAll(async () => {
    await dashboard?.server.close();
    await queryServer?.stop();
    await store?.close();
    await pages?.remove();
  });

  it('answers /api/network with every detector, link, route, latest estimate and open alert written', async () => {
    const response = await dashboard.get('/api/network');
    expect(response.status).toBe(200);
    const network = (await response.json()) as NetworkSnapshot;
    expect(network.login).toBe(false);
    expect(network.tileUrl).toBe('https://{s}.tile.example.org/{z}/{x}/{y}.png');
    expect(network.tileAttribution).toBe('© example');

    const detectors = new Map(network.detectors.map((detector) => [detector.id, detector]));
    expect(detectors.get(a)).toMatchObject({ batteryVolts: 12.5, detectionCount: 7, problems: [] });
    // No health record: the worker has not checked it, which is not the same as healthy.
    expect(detectors.get(a)?.checkedAt).toBeUndefined();
    expect(detectors.get(a)?.latitude).toBeCloseTo(52.2297, 5);
    expect(detectors.get(a)?.longitude).toBeCloseTo(21.0122, 5);
    expect(detectors.get(b)).toMatchObject({
      lastSeen: iso(minute(2)),
      clockSkewSeconds: 1.5,
      problems: ['detector_silent'],
      checkedAt: iso(minute(3)),
    });
    expect(detectors.get(b)?.batteryVolts).toBeUndefined();
    expect(detectors.get(c)).toMatchObject({ problems: [], checkedAt: iso(minute(3)) });

    const links = network.links.filter((link) => [a, b].includes(link.source as DetectorId));
    expect(links).toEqual([
      {
        source: a,
        destination: b,
        maxSeconds: 600,
        latest: {
          intervalEnd: iso(minute(2)),
          windowSeconds: 300,
          medianSeconds: 130,
          p15Seconds: 120,
          p85Seconds: 145,
          validSamples: 7,
          totalSamples: 9,
          status: 'ok',
          level: 'unknown',
          speedKmh: 45.5,
        },
      },
      { source: b, destination: c, maxSeconds: 900 },
    ]);
    const routeView = network.routes.find((each) => each.name === route);
    expect(routeView?.detectors).toEqual([a, b, c]);
    expect(routeView?.latest?.medianSeconds).toBe(300);
    expect(network.alerts.map((alert) => alert.id)).toEqual([congestionId]);
    expect(network.alerts[0]).toMatchObject({
      kind: 'congestion',
      severity: 'warning',
      start: iso(minute(1)),
      subject: { link: { source: a, destination: b } },
      figures: { ratio_to_typical: 2 },
    });
  });

  it('sends the security headers, with the tile server in img-src', async () => {
    const response = await dashboard.get('/api/detectors');
    expect(response.headers.get('content-security-policy')).toContain(
      "img-src 'self' data: https://*.tile.example.org",
    );
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('answers /api/series with exactly the estimates GetTravelTimes returns, and the typical band', async () => {
    const endBin = new Date(Number(minute(1) / 1_000_000n));
    await store.repository.profiles.put({
      target: { kind: 'link', source: a, destination: b },
      computedAt: minute(0),
      weeks: 4,
      binMinutes: 15,
      timeZone: 'UTC',
      bins: [
        {
          dayOfWeek: endBin.getUTCDay() === 0 ? 7 : endBin.getUTCDay(),
          minuteOfDay: Math.floor((endBin.getUTCHours() * 60 + endBin.getUTCMinutes()) / 15) * 15,
          medianSeconds: 65,
          p15Seconds: 60,
          p85Seconds: 80,
          samples: 12,
        },
      ],
    });
    const after = iso(minute(0));
    const before = iso(minute(10));
    const response = await dashboard.get(
      `/api/series?source=${a}&destination=${b}&after=${after}&before=${before}`,
    );
    expect(response.status).toBe(200);
    const series = (await response.json()) as Series;
    const direct = await new Promise<query.GetTravelTimesResponse>((resolve, reject) =>
      queryServer.client.getTravelTimes(
        query.GetTravelTimesRequest.fromPartial({
          links: { selector: { $case: 'link', value: { sourceDetectorId: a, destDetectorId: b } } },
          range: {
            after: { seconds: BigInt(Date.parse(after) / 1000), nanos: 0 },
            before: { seconds: BigInt(Date.parse(before) / 1000), nanos: 0 },
          },
          limit: 20_160n,
        }),
        (error, answer) => (error ? reject(error) : resolve(answer)),
      ),
    );
    expect(
      series.estimates.map((each: EstimateView) => [each.intervalEnd, each.medianSeconds, each.validSamples]),
    ).toEqual(
      direct.estimates.map((each) => [
        new Date(Number(each.intervalEnd?.seconds) * 1000).toISOString(),
        each.medianSeconds,
        Number(each.validSamples),
      ]),
    );
    expect(series.estimates.map((each) => each.medianSeconds)).toEqual([120, 130]);
    expect(series.target).toEqual({ link: { source: a, destination: b } });
    // minute(1) = :11 falls in the :00–:15 bin; minute(2) too.
    expect(series.typical).toEqual([
      { time: iso(minute(1)), medianSeconds: 65, p15Seconds: 60, p85Seconds: 80 },
      { time: iso(minute(2)), medianSeconds: 65, p15Seconds: 60, p85Seconds: 80 },
    ]);

    const csv = await (
      await dashboard.get(`/api/series.csv?source=${a}&destination=${b}&after=${after}&before=${before}`)
    ).text();
    const [header, firstRow] = csv.split('\n');
    expect(header).toBe(
      'intervalEnd,windowSeconds,medianSeconds,p15Seconds,p85Seconds,validSamples,totalSamples,status,level,' +
        'typicalSeconds,freeFlowSeconds,ratioToTypical,speedKmh',
    );
    expect(firstRow).toBe(`${iso(minute(1))},300,120,110,135,7,9,ok,unknown,,,,45.5`);
  });

  it('answers a route series by name', async () => {
    const response = await dashboard.get(
      `/api/series?route=${route}&after=${iso(minute(0))}&before=${iso(minute(10))}`,
    );
    const series = (await response.json()) as Series;
    expect(series.target).toEqual({ route });
    expect(series.estimates.map((each) => each.medianSeconds)).toEqual([300]);
  });

  it('answers 400 naming the parameter for bad input', async () => {
    const cases: [string, string][] = [
      [`/api/series?source=${a}`, 'destination: required with source'],
      ['/api/series', 'source: required (with destination), or give route'],
      [`/api/series?route=${route}&after=yesterday`, 'after: "yesterday" is not an ISO-8601 time'],
      [
        `/api/series?route=${route}&after=${iso(minute(5))}&before=${iso(minute(1))}`,
        'after: must be earlier than before',
      ],
      ['/api/alerts?min_severity=loud', 'min_severity: "loud" is not info, warning or critical'],
      ['/api/alerts?kind=congestion,flood', 'kind: "flood" is not an alert kind'],
      ['/api/alerts?open_only=maybe', 'open_only: "maybe" is not true or false'],
      [`/api/detectors/${a}/sightings?minutes=0`, 'minutes: "0" is not a whole number from 5 to 1440'],
    ];
    for (const [path, error] of cases) {
      const response = await dashboard.get(path);
      expect({ path, status: response.status, body: await response.json() }).toEqual({
        path,
        status: 400,
        body: { error },
      });
    }
    // The query service's own refusal (an id that cannot be a key) comes back as 400 with its reason.
    const refused = await dashboard.get('/api/series?source=a%2Fb&destination=c');
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toMatch(/source|detector/);
  });

  it('filters alerts by kind, severity and openness, newest first', async () => {
    const all = (await (await dashboard.get('/api/alerts')).json()) as { alerts: { id: string }[] };
    expect(all.alerts.map((alert) => alert.id)).toEqual([congestionId, silentId]);
    const critical = (await (await dashboard.get('/api/alerts?min_severity=critical')).json()) as {
      alerts: { id: string; end?: string }[];
    };
    expect(critical.alerts).toMatchObject([{ id: silentId, end: iso(minute(1)) }]);
    const open = (await (await dashboard.get('/api/alerts?open_only=true&kind=detector_silent')).json()) as {
      alerts: unknown[];
    };
    expect(open.alerts).toEqual([]);
  });

  it('counts sightings per 5-minute bin and never shows a device id', async () => {
    const response = await dashboard.get(`/api/detectors/${a}/sightings?minutes=30`);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).not.toContain(DEVICE);
    expect(text).not.toContain('other-device-42');
    expect(text).not.toMatch(/device/i);
    const sightings = JSON.parse(text) as DetectorSightings;
    expect(sightings.binSeconds).toBe(300);
    expect(sightings.truncated).toBe(false);
    expect(sightings.bins.reduce((sum, bin) => sum + bin.count, 0)).toBe(3);
    const binOf = (millisAgo: number) =>
      sightings.bins.find((bin) => {
        const start = Date.parse(bin.start);
        const time = Date.now() - millisAgo;
        return start <= time && time < start + 300_000;
      });
    expect(binOf(2 * 60_000)?.count).toBeGreaterThanOrEqual(1);
  });

  it('streams a new estimate to every browser over one upstream StreamTravelTimes of all links', async () => {
    const first = new EventStreamReader(await dashboard.get('/api/stream'));
    const second = new EventStreamReader(await dashboard.get('/api/stream'));
    await vi.waitFor(() => expect(store.activeLinkFollows()).toBe(1), { timeout: 10_000, interval: 20 });
    await store.repository.travelTimes.put([estimate(a, b, minute(3), 140)]);
    for (const reader of [first, second]) {
      await vi.waitFor(
        () =>
          expect(reader.events).toContainEqual({
            type: 'link',
            data: expect.objectContaining({
              type: 'link',
              source: a,
              destination: b,
              estimate: expect.objectContaining({ intervalEnd: iso(minute(3)), medianSeconds: 140 }),
            }),
          }),
        { timeout: 10_000, interval: 20 },
      );
    }
    expect(store.activeLinkFollows()).toBe(1);
    first.close();
    second.close();
    // The last browser gone, the upstream stream stops too.
    await vi.waitFor(() => expect(store.activeLinkFollows()).toBe(0), { timeout: 10_000, interval: 20 });
  });

  it('serves the pages without a login when none is configured', async () => {
    const page = await dashboard.get('/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('map page');
    expect((await dashboard.get('/assets/app.js')).status).toBe(200);
    expect(await (await dashboard.get('/healthz')).text()).toBe('ok');
  });
});

describe('the dashboard login', () => {
  let store: TestStore;
  let queryServer: TestQueryServer;
  let pages: Awaited<ReturnType<typeof writeTestPages>>;
  let dashboard: TestDashboard;
  const TOKEN = 'correct horse battery staple';

  beforeAll(async () => {
    store = await openTestStore();
    queryServer = await startQueryServer(store.repository);
    pages = await writeTestPages();
    dashboard = await startTestDashboard({
      query: createQueryClient({ address: queryServer.address }),
      webRoot: pages.webRoot,
      loginToken: TOKEN,
    });
  });
  afterAll(async () => {
    await dashboard?.server.close();
    await queryServer?.stop();
    await store?.close();
    await pages?.remove();
  });

  const login = (token: string) =>
    dashboard.get('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });

  it('refuses the API with 401 and sends pages to /login without a session', async () => {
    const api = await dashboard.get('/api/network');
    expect(api.status).toBe(401);
    expect(await api.json()).toEqual({ error: 'log in first: POST /login with the dashboard token' });
    const page = await dashboard.get('/');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login');
    expect((await dashboard.get('/api/stream')).status).toBe(401);
    expect((await dashboard.get('/healthz')).status).toBe(200);
    const loginPage = await dashboard.get('/login');
    expect(loginPage.status).toBe(200);
    expect(await loginPage.text()).toContain('login page');
    expect((await dashboard.get('/assets/app.js')).status).toBe(200);
  });

  it('answers a wrong token with 401 and the login page, and sets no cookie', async () => {
    const response = await login('wrong');
    expect(response.status).toBe(401);
    expect(await response.text()).toContain('login page');
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('opens a session for the right token, which the API accepts until logout', async () => {
    const response = await login(TOKEN);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^mb_dashboard_session=[0-9a-f]{64};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain('Secure');
    const cookie = setCookie.split(';')[0] ?? '';

    const network = await dashboard.get('/api/network', { headers: { cookie } });
    expect(network.status).toBe(200);
    const snapshot = (await network.json()) as NetworkSnapshot;
    expect(snapshot.login).toBe(true);
    expect(snapshot.links).toEqual([]);
    expect((await dashboard.get('/', { headers: { cookie } })).status).toBe(200);
    expect(
      (await dashboard.get('/api/network', { headers: { cookie: 'mb_dashboard_session=00' } })).status,
    ).toBe(401);

    const logout = await dashboard.get('/logout', { method: 'POST', headers: { cookie } });
    expect(logout.status).toBe(303);
    expect(logout.headers.get('location')).toBe('/login');
    expect((await dashboard.get('/api/network', { headers: { cookie } })).status).toBe(401);
  });
});

describe('the dashboard login under guessing', () => {
  it('refuses an address with 429 after 10 wrong tokens in a minute, then lets it try again', async () => {
    const store = await openTestStore();
    const queryServer = await startQueryServer(store.repository);
    const pages = await writeTestPages();
    const clock = { now: Date.now() };
    const dashboard = await startTestDashboard({
      query: createQueryClient({ address: queryServer.address }),
      webRoot: pages.webRoot,
      loginToken: 'the-token',
      clock: () => clock.now,
    });
    const login = (token: string) =>
      dashboard.get('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
    try {
      for (let attempt = 0; attempt < 10; attempt += 1) expect((await login('guess')).status).toBe(401);
      const refused = await login('the-token');
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('60');
      expect(refused.headers.get('set-cookie')).toBeNull();
      clock.now += 60_000;
      expect((await login('the-token')).status).toBe(303);
    } finally {
      await dashboard.server.close();
      await queryServer.stop();
      await store.close();
      await pages.remove();
    }
  });
});

describe('the dashboard without its query service', () => {
  it('answers 503 when the query service cannot be reached', async () => {
    const store = await openTestStore();
    const queryServer = await startQueryServer(store.repository);
    const address = queryServer.address;
    await queryServer.stop();
    const pages = await writeTestPages();
    const dashboard = await startTestDashboard({
      query: createQueryClient({ address }),
      webRoot: pages.webRoot,
    });
    try {
      for (const path of ['/api/network', '/api/detectors', `/api/series?route=${route}`]) {
        const response = await dashboard.get(path);
        expect({ path, status: response.status, body: await response.json() }).toEqual({
          path,
          status: 503,
          body: { error: 'the query service cannot be reached; try again shortly' },
        });
      }
    } finally {
      await dashboard.server.close();
      await store.close();
      await pages.remove();
    }
  });
});

describe('the dashboard on a larger network', () => {
  it('gzips a large JSON answer for a browser that accepts it, and lets assets be cached for good', async () => {
    const store = await openTestStore();
    const queryServer = await startQueryServer(store.repository);
    const pages = await writeTestPages();
    const dashboard = await startTestDashboard({
      query: createQueryClient({ address: queryServer.address }),
      webRoot: pages.webRoot,
    });
    try {
      const ids = Array.from({ length: 200 }, (_, index) => id(`big-${index}`));
      for (const [index, detectorId] of ids.entries()) {
        const coordinates = { latitude: 5_200_000 + index, longitude: 2_100_000 + index };
        await store.repository.detectors.putCoordinates({ detectorId, coordinates });
      }
      const raw = (acceptEncoding: string | undefined) =>
        new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
          const headers = acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding };
          get(`${dashboard.base}/api/network`, { headers }, (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () =>
              resolve({ encoding: response.headers['content-encoding'], body: Buffer.concat(chunks) }),
            );
          }).on('error', reject);
        });
      const zipped = await raw('gzip, deflate');
      expect(zipped.encoding).toBe('gzip');
      const network = JSON.parse(gunzipSync(zipped.body).toString('utf8')) as NetworkSnapshot;
      expect(network.detectors.map((detector) => detector.id).sort()).toEqual([...ids].sort());
      const plain = await raw(undefined);
      expect(plain.encoding).toBeUndefined();
      expect((JSON.parse(plain.body.toString('utf8')) as NetworkSnapshot).detectors).toHaveLength(200);

      const asset = await dashboard.get('/assets/app.js');
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    } finally {
      await dashboard.server.close();
      await queryServer.stop();
      await store.close();
      await pages.remove();
    }
  });
});
