import { collector, type Empty } from '@message-bus/proto';
import type { Scenario } from '@message-bus/simulation';
import { unaryCall } from '../connection/grpc-connection';
import type { ServiceTarget } from '../connection/service-error';

/** Registers a scenario's detectors (coordinates) and links, so its sightings give travel times. */
export async function registerScenario(
  client: collector.CollectorServiceClient,
  target: ServiceTarget,
  scenario: Scenario,
): Promise<{ detectors: number; links: number }> {
  for (const detector of scenario.detectors) {
    const coordinates = collector.Coordinates.fromPartial({
      detectorId: detector.id,
      // The simulator's coordinates are already the wire's fixed point.
      latitude: BigInt(detector.coordinates.latitude),
      longitude: BigInt(detector.coordinates.longitude),
    });
    await unaryCall<Empty>(target, (metadata, options, done) =>
      client.createCoordinates(coordinates, metadata, options, done),
    );
  }
  const destinations = new Map<string, collector.DetectorLink_SourceDetector[]>();
  for (const link of scenario.links) {
    const sources = destinations.get(link.destination) ?? [];
    // No configured minimum: the worker derives one from the detectors' coordinates.
    sources.push({ detectorId: link.source, maxSeconds: BigInt(Math.ceil(link.maxSeconds)), minSeconds: 0n });
    destinations.set(link.destination, sources);
  }
  for (const [destDetectorId, srcDetectors] of destinations) {
    const link = collector.DetectorLink.fromPartial({ destDetectorId, srcDetectors });
    await unaryCall<Empty>(target, (metadata, options, done) =>
      client.createDetectorLink(link, metadata, options, done),
    );
  }
  return { detectors: scenario.detectors.length, links: scenario.links.length };
}
