import { nanosToTimestamp, type DetectorStatus } from '@message-bus/domain';
import { collector } from '@message-bus/proto';
import type { Scenario, SimulatedSighting } from '@message-bus/simulation';
import { unary, type GrpcClients } from './grpc';

/** Sightings per StreamEventLog call: one detector's minutes of traffic, far below the message limit. */
const SIGHTINGS_PER_CALL = 2_000;

/** Registers a scenario's detectors (coordinates), links and the given routes, as mbcli's traffic does. */
export async function registerScenario(
  clients: GrpcClients,
  scenario: Scenario,
  routes: readonly { readonly name: string; readonly detectors: readonly string[] }[] = [],
): Promise<void> {
  const client = clients.collector;
  for (const detector of scenario.detectors) {
    await unary(clients, client.createCoordinates.bind(client), {
      detectorId: detector.id,
      // The simulator's coordinates are already the wire's fixed point.
      latitude: BigInt(detector.coordinates.latitude),
      longitude: BigInt(detector.coordinates.longitude),
    });
  }
  const sourcesByDestination = new Map<string, collector.DetectorLink_SourceDetector[]>();
  for (const link of scenario.links) {
    const sources = sourcesByDestination.get(link.destination) ?? [];
    sources.push({ detectorId: link.source, maxSeconds: BigInt(Math.ceil(link.maxSeconds)), minSeconds: 0n });
    sourcesByDestination.set(link.destination, sources);
  }
  for (const [destDetectorId, srcDetectors] of sourcesByDestination) {
    await unary(clients, client.createDetectorLink.bind(client), { destDetectorId, srcDetectors });
  }
  for (const route of routes) {
    await unary(clients, client.createRoute.bind(client), {
      name: route.name,
      detectorIds: [...route.detectors],
    });
  }
}

/** Sends sightings (in time order) through StreamEventLog; resolves once the collector acknowledged them all. */
export async function sendSightings(clients: GrpcClients, sightings: readonly SimulatedSighting[]): Promise<void> {
  for (let first = 0; first < sightings.length; first += SIGHTINGS_PER_CALL) {
    const logs = sightings.slice(first, first + SIGHTINGS_PER_CALL).map(sightingLog);
    await new Promise<collector.SendStreamResponse>((resolve, reject) => {
      const call = clients.collector.streamEventLog(
        clients.metadata(),
        { deadline: Date.now() + 60_000 },
        (error, response) => (error ? reject(error) : resolve(response)),
      );
      for (const log of logs) call.write(log);
      call.end();
    });
  }
}

/** Sends the simulator's status reports (battery, radios, detection counts), oldest first. */
export async function sendStatusReports(clients: GrpcClients, reports: readonly DetectorStatus[]): Promise<void> {
  const client = clients.collector;
  for (const report of reports) {
    const detectionCount: Record<number, bigint> = {};
    for (const [kind, count] of Object.entries(report.detectionCounts)) {
      detectionCount[collector.DEVICE[kind.toUpperCase() as keyof typeof collector.DEVICE]] = count;
    }
    await unary(clients, client.createDetectorStatus.bind(client), {
      loc: { detectorId: report.detectorId, latitude: 0n, longitude: 0n },
      activeDetectors: report.activeRadios.map(
        (kind) => collector.DEVICE[kind.toUpperCase() as keyof typeof collector.DEVICE],
      ),
      batteryVoltage: report.batteryVoltage,
      detectionCount,
      time: nanosToTimestamp(report.time),
    });
  }
}

/**
 * Sends sightings as their time comes: every quarter second, those whose time has
 * passed, so the workers see the traffic live, as from roadside detectors. `stop()`
 * ends it and resolves once the last batch is acknowledged; a failed send rejects it.
 */
export function sendAsTimeComes(
  clients: GrpcClients,
  sightings: readonly SimulatedSighting[],
  nanosNow: () => bigint,
): { stop: () => Promise<void> } {
  const pending = [...sightings];
  const controller = new AbortController();
  const loop = (async () => {
    while (!controller.signal.aborted && pending.length > 0) {
      const now = nanosNow();
      const due = pending.findIndex((sighting) => sighting.time > now);
      const batch = pending.splice(0, due === -1 ? pending.length : due);
      if (batch.length > 0) await sendSightings(clients, batch);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    stop: async () => {
      controller.abort();
      await loop;
    },
  };
}

function sightingLog(sighting: SimulatedSighting): collector.EventLog {
  return collector.EventLog.fromPartial({
    loc: { detectorId: sighting.detectorId },
    events: [
      {
        time: [nanosToTimestamp(sighting.time)],
        deviceId: { $case: sighting.kind, value: sighting.rawDeviceId },
      },
    ],
  });
}
