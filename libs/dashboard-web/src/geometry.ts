/** Map geometry the map page needs, kept free of Leaflet so it is testable. */

export type LatLng = [latitude: number, longitude: number];

/** A point on the map's pixel plane: x to the right, y downwards (Leaflet's layer points). */
export interface PixelPoint {
  readonly x: number;
  readonly y: number;
}

/** How far, in pixels, a link is drawn beside the straight line between its detectors. */
export const LINK_OFFSET_PIXELS = 3.5;

/**
 * The segment from `from` to `to` on the pixel plane moved sideways by `pixels` to the
 * right of its direction of travel. A→B and B→A then lie on opposite sides of the road,
 * both visible at every zoom.
 */
export function offsetSegment(
  from: PixelPoint,
  to: PixelPoint,
  pixels = LINK_OFFSET_PIXELS,
): [PixelPoint, PixelPoint] {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const length = Math.hypot(dx, dy);
  if (length === 0) return [from, to];
  // With y downwards, the right of the direction (dx, dy) is (-dy, dx).
  const shiftX = (-dy / length) * pixels;
  const shiftY = (dx / length) * pixels;
  return [
    { x: from.x + shiftX, y: from.y + shiftY },
    { x: to.x + shiftX, y: to.y + shiftY },
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
