/**
 * A detector's identifier: 1–64 characters of `[A-Za-z0-9._:-]`. It becomes a key
 * segment in the store, so it can never hold a `/`, a control character or a space.
 * Build one with `parseDetectorId`; the brand keeps unvalidated strings out.
 */
export type DetectorId = string & { readonly __brand: 'DetectorId' };
