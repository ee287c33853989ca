import type { DetectorId } from './detector-id';

/**
 * Traffic flows from `source` to `destination`; a device seen at both within
 * `maxSeconds` (1..86400) gives a travel-time sample. A detector never links to itself.
 */
export interface DetectorLink {
  readonly destination: DetectorId;
  readonly source: DetectorId;
  readonly maxSeconds: number;
}
