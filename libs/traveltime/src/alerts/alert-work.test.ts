import { alertId, parseRouteName, type UnixNanos } from '@message-bus/domain';
import { ServerMetrics } from '@message-bus/server-kit';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  d1,
  d2,
  d3,
  HOUR,
  LINKS,
  MINUTE,
  openCorridor,
  SECONDS,
  silentLogger,
  T0,
  type Corridor,
} from '../../test/corridor';
import {
  alertWork,
  estimates,
  linksByDestination as groupByDestination,
  minuteRounds,
  minutes,
} from '../../test/alert-work';
import { InProcessWorkLeases } from '../in-process-work-leases';
import { TravelTimeWorker } from '../travel-time-worker';

let corridor: Corridor;
beforeEach(async () => {
  corridor = await openCorridor();
});
afterEach(async () => {
  await corridor.close();
});

const linksByDestination = groupByDestination(LINKS);

describe('congestion alerts', () => {
  it('raises an alert from stored estimates, and a worker taking over clears the same alert', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    // d1 → d2 is congested (2.1× typical) from minute 12 to 20, then back to typical.
    await corridor.repository.travelTimes.put(
      estimates(d1, d2, minutes(1, 30), { typical: 120, excess: (m) => (m >= 12 && m <= 20 ? 132 : 0) }),
    );
    const holdingD2 = { held: [d2], linksByDestination, checksDetectors: false };
    await minuteRounds(alertWork(corridor.repository, {}, metrics), 5, 16, holdingD2);
    const subject = { kind: 'link', source: d1, destination: d2 } as const;
    const id = alertId('congestion', subject, T0 + 12n * MINUTE);
    expect(await corridor.repository.alerts.list()).toEqual([
      {
        id,
        kind: 'congestion',
        severity: 'critical',
        subject,
        start: T0 + 12n * MINUTE,
        updated: T0 + 14n * MINUTE,
        evidence:
          'Travel time on link d1 → d2 is 2.1× typical (252 s against a typical 120 s); 3 of the last 5 intervals at or above 1.5×.',
        figures: {
          congested_intervals: 3,
          window_intervals: 5,
          raise_ratio: 1.5,
          max_ratio_to_typical: 2.1,
          ratio_to_typical: 2.1,
          median_seconds: 252,
          typical_seconds: 120,
        },
      },
    ]);
    expect(await metrics.scrape()).toContain('message_bus_alerts_raised_total{kind="congestion",severity="critical"} 1');

    // Another worker holds d2 now: it reads the open alert and clears it (2 of 5 still congested at 24, 1 at 25).
    await minuteRounds(alertWork(corridor.repository), 17, 30, holdingD2);
    const [cleared, ...others] = await corridor.repository.alerts.list();
    expect(others).toEqual([]);
    expect(cleared).toMatchObject({
      id,
      start: T0 + 12n * MINUTE,
      end: T0 + 24n * MINUTE,
      severity: 'critical',
    });
  });

  it('alerts on a route ending at a held destination from its stored route estimates', async () => {
    const route = parseRouteName('corridor');
    await corridor.repository.routes.put({ name: route, detectorIds: [d1, d2, d3] });
    await corridor.repository.routeTravelTimes.put(
      estimates(d1, d3, minutes(1, 10), { typical: 210, excess: (m) => (m >= 4 ? 240 : 0) }).map(
        (estimate) => ({
          ...estimate,
          route,
          routeMethod: 'matched' as const,
        }),
      ),
    );
    // Held d2 only: d3's routes are another worker's.
    const round = {
      now: T0 + 10n * MINUTE,
      lastDue: T0 + 10n * MINUTE,
      linksByDestination,
      checksDetectors: false,
    };
    await alertWork(corridor.repository).afterRound({ ...round, held: [d2] });
    expect(await corridor.repository.alerts.list()).toEqual([]);
    await alertWork(corridor.repository).afterRound({ ...round, held: [d3] });
    expect(await corridor.repository.alerts.list()).toMatchObject([
      {
        id: alertId('congestion', { kind: 'route', route }, T0 + 6n * MINUTE),
        subject: { kind: 'route', route },
        severity: 'critical',
        evidence:
          'Travel time on route corridor is 2.14× typical (450 s against a typical 210 s); 5 of the last 5 intervals at or above 1.5×.',
      },
    ]);
  });
});

describe('detector checks', () => {
  it('counts the devices that passed a silent detector unseen: seen before it, then after it', async () => {
    // d2 goes down at T0 + 30 min (its last sighting T0 + 29.5 min) while a vehicle passes
    // d1, d2 and d3 every 30 s: at T0 + 50 min, those leaving d1 from T0 + 30 min and
    // reaching d3 (210 s later) by then passed d2 unseen, 34 of them.
    await corridor.close();
    corridor = await openCorridor(
      1n,
      (sighting) => sighting.detectorId === d2 && sighting.time >= T0 + 30n * MINUTE,
    );
    const now = T0 + 50n * MINUTE;
    await alertWork(corridor.repository).afterRound({
      now,
      lastDue: now,
      held: [],
      linksByDestination,
      checksDetectors: true,
    });

    const silent = await corridor.repository.alerts.list({ kinds: ['detector_silent'] });
    expect(silent).toMatchObject([
      {
        subject: { kind: 'detector', detectorId: d2 },
        start: T0 + 29n * MINUTE + 30n * SECONDS,
        figures: { silent_seconds: 1230, passed_unseen: 34 },
      },
    ]);
  });

  it('raises the silence 5 minutes after the last sighting once 3 devices passed unseen', async () => {
    // d2 goes down at T0 + 30 min (its last sighting T0 + 29.5 min); the vehicles leaving d1
    // from T0 + 30 min reach d3 from T0 + 33.5 min, one every 30 s.
    await corridor.close();
    corridor = await openCorridor(
      1n,
      (sighting) => sighting.detectorId === d2 && sighting.time >= T0 + 30n * MINUTE,
    );
    const work = alertWork(corridor.repository, { detectorCheckSeconds: 60 });
    const check = (now: UnixNanos) =>
      work.afterRound({ now, lastDue: now, held: [], linksByDestination, checksDetectors: true });
    // At 34 min: 4.5 min silent, 2 passed unseen: an upload may still be on its way.
    await check(T0 + 34n * MINUTE);
    expect(await corridor.repository.alerts.list({ kinds: ['detector_silent'] })).toEqual([]);
    // At 36 min: 6.5 min silent, 6 passed unseen.
    await check(T0 + 36n * MINUTE);
    expect(await corridor.repository.alerts.list({ kinds: ['detector_silent'] })).toMatchObject([
      {
        subject: { kind: 'detector', detectorId: d2 },
        start: T0 + 29n * MINUTE + 30n * SECONDS,
        figures: { silent_seconds: 390, passed_unseen: 6 },
      },
    ]);
  });

  it('reads a clock running ahead from the trips in and out of a detector', async () => {
    // The corridor's hour of trips: into d2 120 s against a typical 75 s, out of it 90 s
    // against a typical 125 s. The estimates only say what is typical: the trips are
    // matched from the sightings, as the estimator's filter may have rejected them.
    await corridor.repository.travelTimes.put([
      ...estimates(d1, d2, minutes(1, 60), { typical: 75, excess: () => 45 }),
      ...estimates(d2, d3, minutes(1, 60), { typical: 125, excess: () => -35 }),
      ...estimates(d1, d3, minutes(1, 60), { typical: 200, excess: () => 10 }),
    ]);
    const now = T0 + HOUR + 10n * SECONDS;
    await alertWork(corridor.repository).afterRound({
      now,
      lastDue: T0 + HOUR,
      held: [],
      linksByDestination,
      checksDetectors: true,
    });

    const health = await corridor.repository.detectorHealth.list();
    expect(health.map((entry) => [entry.detectorId, entry.problems, entry.clockSkewSeconds])).toEqual([
      // d1 has no link in: no offset is judged.
      [d1, [], undefined],
      // The offset is what both sides agree on: the smaller, 35 s.
      [d2, ['clock_skew'], 35],
    ]);
    const [skew, ...others] = await corridor.repository.alerts.list({ kinds: ['clock_skew'] });
    expect(others).toEqual([]);
    expect(skew).toMatchObject({
      id: alertId('clock_skew', { kind: 'detector', detectorId: d2 }, now),
      kind: 'clock_skew',
      figures: {
        offset_seconds: 35,
        in_excess_seconds: 45,
        out_excess_seconds: -35,
        links_in: 1,
        links_out: 1,
      },
    });
  });

  it('finds a detector whose links never match while its neighbours do', async () => {
    // d1 was heard (the corridor's hour of traffic) but none of its links matched; d2 → d3 did.
    await corridor.repository.travelTimes.put([
      ...estimates(d1, d2, minutes(61, 120), { typical: 120, excess: () => 0, samples: 0 }),
      ...estimates(d1, d3, minutes(61, 120), { typical: 210, excess: () => 0, samples: 0 }),
      ...estimates(d2, d3, minutes(61, 120), { typical: 90, excess: () => 0, samples: 25 }),
    ]);
    const now = T0 + 2n * HOUR + 10n * SECONDS;
    await alertWork(corridor.repository).afterRound({
      now,
      lastDue: T0 + 2n * HOUR,
      held: [],
      linksByDestination,
      checksDetectors: true,
    });

    expect(await corridor.repository.alerts.list({ kinds: ['never_matches'] })).toMatchObject([
      {
        kind: 'never_matches',
        subject: { kind: 'detector', detectorId: d1 },
        figures: { sightings: 10, links: 2, matched_samples: 0, neighbour_matched_samples: 1500 },
      },
    ]);
  });
});

describe('the worker with alerts', () => {
  it('raises a congestion alert once its estimates are rated against a typical profile', async () => {
    const now = T0 + HOUR + 30n * SECONDS;
    // d1 → d2 typically takes 60 s; the corridor's vehicles take 120 s: severe congestion (2×).
    const bins = [];
    for (let dayOfWeek = 1; dayOfWeek <= 7; dayOfWeek++) {
      for (let minuteOfDay = 0; minuteOfDay < 1440; minuteOfDay += 15) {
        bins.push({ dayOfWeek, minuteOfDay, medianSeconds: 60, p15Seconds: 60, p85Seconds: 60, samples: 4 });
      }
    }
    const link = { kind: 'link', source: d1, destination: d2 } as const;
    await corridor.repository.profiles.put({
      target: link,
      computedAt: now - 30n * MINUTE,
      weeks: 4,
      binMinutes: 15,
      timeZone: 'UTC',
      bins,
    });
    const leases = new InProcessWorkLeases();
    const worker = new TravelTimeWorker({ repository: corridor.repository, leases, logger: silentLogger });
    try {
      await worker.runOnce(now);
    } finally {
      await worker.stop();
      await leases.close();
    }
    expect(await corridor.repository.alerts.list({ kinds: ['congestion'] })).toMatchObject([
      {
        id: alertId('congestion', link, T0 + 56n * MINUTE),
        subject: link,
        severity: 'critical',
        start: T0 + 56n * MINUTE,
        figures: { ratio_to_typical: 2, congested_intervals: 5 },
      },
    ]);
  });

  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((done) => server?.close(done) ?? done(undefined));
    server = undefined;
  });

  it('checks detectors every detector_check_seconds: silence, a falling battery, the webhook and the metrics', async () => {
    const received: { change: string; alert: { kind: string; subject: unknown; start: string } }[] = [];
    let calls = 0;
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        // The receiver fails every first attempt.
        if (calls++ % 2 === 0) return void response.writeHead(503).end();
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((listening) => server!.listen(0, '127.0.0.1', listening));
    const { port } = server.address() as AddressInfo;
    const metrics = new ServerMetrics({ processMetrics: false });
    // d1's battery falls 0.05 V an hour for a day and more (the trend compares each recent
    // report with the one a day before): at 12.4 V, 11.5 V in 18 h.
    for (let hour = 0n; hour <= 30n; hour++) {
      await corridor.repository.detectors.appendStatus({
        detectorId: d1,
        time: T0 - 28n * HOUR + hour * HOUR,
        batteryVoltage: Math.round((13.9 - 0.05 * Number(hour)) * 1000) / 1000,
        activeRadios: ['bluetooth'],
        detectionCounts: {},
      });
    }
    const leases = new InProcessWorkLeases();
    const worker = new TravelTimeWorker({
      repository: corridor.repository,
      leases,
      logger: silentLogger,
      metrics,
      leaseTtlSeconds: 3,
      alerts: {
        detectorCheckSeconds: 60,
        webhook: { url: `http://127.0.0.1:${port}/alerts?key=abc`, firstRetryDelayMs: 10, timeoutMs: 2000 },
      },
    });
    try {
      // The corridor's traffic ended at T0 + 1 h: at T0 + 2 h every detector has been silent an
      // hour. The store holds no earlier day, so the hour before the silence is the reference.
      const now: UnixNanos = T0 + 2n * HOUR + 30n * SECONDS;
      await worker.runOnce(now);

      const health = await corridor.repository.detectorHealth.list();
      expect(health).toEqual([
        {
          detectorId: d1,
          checkedAt: now,
          lastSeen: T0 + HOUR - 30n * SECONDS,
          problems: ['detector_silent', 'battery_low'],
          batteryVoltsPerDay: -1.2,
        },
        {
          detectorId: d2,
          checkedAt: now,
          lastSeen: T0 + HOUR + 90n * SECONDS,
          problems: ['detector_silent'],
        },
      ]);
      const alerts = await corridor.repository.alerts.list({ openOnly: true });
      expect(alerts.map((alert) => `${alert.kind} ${alert.severity}`).sort()).toEqual([
        'battery_low warning',
        'detector_silent warning',
        'detector_silent warning',
      ]);
      await vi.waitFor(() => expect(received).toHaveLength(3), { timeout: 10_000, interval: 50 });
      expect(received.map((body) => `${body.change} ${body.alert.kind}`).sort()).toEqual([
        'raised battery_low',
        'raised detector_silent',
        'raised detector_silent',
      ]);

      // d1 is heard again; the next check is due a minute after the last.
      await corridor.repository.events.append([
        { detectorId: d1, deviceId: 'vehicle-late-000001', time: now },
      ]);
      await worker.runOnce(now + 30n * SECONDS);
      expect((await corridor.repository.alerts.list({ openOnly: true })).length).toBe(3);
      await worker.runOnce(now + MINUTE);
      const open = await corridor.repository.alerts.list({ openOnly: true });
      expect(open.map((alert) => `${alert.kind} ${JSON.stringify(alert.subject)}`).sort()).toEqual([
        `battery_low {"kind":"detector","detectorId":"d1"}`,
        `detector_silent {"kind":"detector","detectorId":"d2"}`,
      ]);
      await vi.waitFor(() => expect(received).toHaveLength(4), { timeout: 10_000, interval: 50 });
      expect(received[3]).toMatchObject({ change: 'cleared', alert: { kind: 'detector_silent' } });

      // The receiver records a body before it answers; the sender counts the delivery once
      // the answer is in, so the count may trail the body on a loaded machine.
      await vi.waitFor(
        async () =>
          expect(await metrics.scrape()).toContain('message_bus_alert_webhook_deliveries_total{outcome="delivered"} 4'),
        { timeout: 10_000, interval: 50 },
      );
      const scrape = await metrics.scrape();
      expect(scrape).toContain('message_bus_alerts_raised_total{kind="detector_silent",severity="warning"} 2');
      expect(scrape).toContain('message_bus_alerts_cleared_total{kind="detector_silent"} 1');
      expect(scrape).toContain('message_bus_alerts_open{kind="detector_silent"} 1');
      expect(scrape).toContain('message_bus_alerts_open{kind="battery_low"} 1');
    } finally {
      await worker.stop();
      await leases.close();
    }
  });
});
