/**
 * A position in fixed point, as on the wire: 1 unit = 1e-5 degrees (about 1.1 m).
 * Latitude within ±90°, longitude within ±180°.
 */
export interface Coordinates {
  readonly latitude: number;
  readonly longitude: number;
}
