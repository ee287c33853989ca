import { simulate, statusReports, type Scenario } from '@message-bus/simulation';
import { startDashboardServer, STORE_PREFIX, type DashboardServer } from './dashboard-server';
import { registerScenario, sendAsTimeComes, sendSightings, sendStatusReports } from './feed';
import { recomputeEveryLink } from './grpc';
import { freeFlowSeconds, jammedCorridor, millisOfNanos, nanosOfMillis } from './roads';
import { storeFreeFlowProfiles } from './typical-profiles';

export interface SimulatedNetworkOptions {
  readonly detectorCount: number;
  /** Jams by segment index: travel time over free flow at their peak, from 15 minutes ago on. */
  readonly jams: Readonly<Record<number, number>>;
  readonly routes: readonly { readonly name: string; readonly detectors: readonly string[] }[];
  /** Traffic sent at once, up to now. */
  readonly historyMinutes: number;
  /** Traffic that goes on after, sent as its time comes. */
  readonly liveMinutes: number;
  readonly seed: number;
  /** The workers' interval, e.g. 10: every interval of the history is recomputed. */
  readonly intervalSeconds: number;
}

export interface SimulatedNetwork {
  readonly server: DashboardServer;
  readonly scenario: Scenario;
  stop(): Promise<void>;
}

/**
 * A cqserver with its dashboard showing a simulated motorway (`jammedCorridor`): typical
 * profiles of free flow stored first, the road registered, its recent traffic and
 * detector status reports sent, its traffic going on live, and every estimate up to now
 * recomputed on all the history, so the pages and QueryService agree on settled figures.
 */
export async function startSimulatedNetwork(options: SimulatedNetworkOptions): Promise<SimulatedNetwork> {
  const startedAt = Date.now();
  const scenario = jammedCorridor(options.detectorCount, startedAt, options.jams);
  const historyStart = startedAt - options.historyMinutes * 60_000;
  const simulation = simulate(scenario, {
    seed: options.seed,
    start: nanosOfMillis(historyStart),
    durationSeconds: (options.historyMinutes + options.liveMinutes) * 60,
  });
  const server = await startDashboardServer({
    intervalSeconds: options.intervalSeconds,
    prepare: (dataDir) => storeFreeFlowProfiles(dataDir, STORE_PREFIX, [...freeFlowSeconds(scenario).values()]),
  });
  let live: { stop: () => Promise<void> } | undefined;
  const stop = async () => {
    await live?.stop();
    await server.stop();
  };
  try {
    await registerScenario(server.grpc, scenario, options.routes);
    const now = nanosOfMillis(Date.now());
    const past = simulation.sightings.filter((sighting) => sighting.time <= now);
    await sendSightings(server.grpc, past);
    await sendStatusReports(
      server.grpc,
      statusReports(scenario, past, {
        seed: options.seed,
        start: nanosOfMillis(historyStart),
        durationSeconds: (millisOfNanos(now) - historyStart) / 1000,
        everySeconds: 300,
      }),
    );
    live = sendAsTimeComes(
      server.grpc,
      simulation.sightings.filter((sighting) => sighting.time > now),
      () => nanosOfMillis(Date.now()),
    );
    // The history arrived after the workers began on the new links: once this recompute
    // is done, every estimate up to now is that of all the history.
    await recomputeEveryLink(server.grpc, historyStart, millisOfNanos(now));
    return { server, scenario, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
