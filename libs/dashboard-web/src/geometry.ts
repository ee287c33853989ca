/** Map geometry the map page needs, kept free of Leaflet so it is testable. */

export type LatLng = [latitude: number, longitude: number];

/** How far a link is drawn beside the straight line between its detectors, as a share of its length. */
export const LINK_OFFSET_SHARE = 0.04;

/**
 * The segment from `from` to `to` moved sideways to the right of its direction of travel
 * by `share` of its length. A→B and B→A then lie on opposite sides of the road, both
 * visible. Distances are measured on a local flat projection (longitude scaled by the
 * cosine of the latitude), which is exact enough for links of a few kilometres.
 */
export function offsetSegment(from: LatLng, to: LatLng, share = LINK_OFFSET_SHARE): [LatLng, LatLng] {
  const scale = Math.cos((((from[0] + to[0]) / 2) * Math.PI) / 180);
  const dx = (to[1] - from[1]) * scale;
  const dy = to[0] - from[0];
  // Right of the direction (dx, dy) is (dy, -dx).
  const offsetLatitude = -dx * share;
  const offsetLongitude = scale === 0 ? 0 : (dy * share) / scale;
  return [
    [from[0] + offsetLatitude, from[1] + offsetLongitude],
    [to[0] + offsetLatitude, to[1] + offsetLongitude],
  ];
}

/** The key of a link in the map's tables and in a `#/map?link=` focus: `SOURCE>DESTINATION`. */
export function linkKey(source: string, destination: string): string {
  return `${source}>${destination}`;
}

/** The source and destination of a `linkKey`; undefined when it is not one. */
export function parseLinkKey(key: string): { source: string; destination: string } | undefined {
  const at = key.indexOf('>');
  if (at <= 0 || at === key.length - 1) return undefined;
  return { source: key.slice(0, at), destination: key.slice(at + 1) };
}
