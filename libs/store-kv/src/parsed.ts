/**
 * The outcome of reading a key or value from the store: the value, or why it is
 * malformed. Readers skip and count malformed records instead of throwing, so one
 * bad record never hides the good ones around it.
 */
export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export function accept<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function reject(reason: string): { readonly ok: false; readonly reason: string } {
  return { ok: false, reason };
}
