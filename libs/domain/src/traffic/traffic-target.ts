import type { DetectorId } from '../ids/detector-id';
import type { RouteName } from './route';

/** What a typical profile, a reliability figure or a congestion alert describes: one link or one route. */
export type TrafficTarget =
  | { readonly kind: 'link'; readonly source: DetectorId; readonly destination: DetectorId }
  | { readonly kind: 'route'; readonly route: RouteName };

/** A stable text form for logs, maps and alert ids: `link:A>B` or `route:name`. */
export function trafficTargetKey(target: TrafficTarget): string {
  return target.kind === 'link' ? `link:${target.source}>${target.destination}` : `route:${target.route}`;
}
