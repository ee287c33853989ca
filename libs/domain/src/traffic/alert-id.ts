import { sha256 } from '@noble/hashes/sha2.js';
import { encodeTime, TIME_MAX, ulid } from 'ulid';
import { NANOS_PER_MILLISECOND, type UnixNanos } from '../time';
import type { AlertKind, AlertSubject } from './alert';
import { trafficTargetKey } from './traffic-target';

/** Characters of a ULID's 80-bit part: 16 Crockford digits of 5 bits. */
const RANDOM_CHARACTERS = 16;
const TEXT = new TextEncoder();

/** A stable text form of an alert's subject: `link:A>B`, `route:name` or `detector:id`. */
export function alertSubjectKey(subject: AlertSubject): string {
  return subject.kind === 'detector' ? `detector:${subject.detectorId}` : trafficTargetKey(subject);
}

/**
 * The id of the alert of `kind` on `subject` that started at `start`: a 26-character
 * ULID (upper-case Crockford base32) whose time is `start`'s millisecond, so ids sort by
 * start, and whose 80 "random" bits are the first 16 bytes of SHA-256 over
 * `kind \0 subject-key \0 start-nanoseconds`, each byte's low 5 bits one digit. The same
 * condition always gets the same id, so a retried write, or a worker that judges the
 * same estimates again, replaces the alert instead of adding a second.
 */
export function alertId(kind: AlertKind, subject: AlertSubject, start: UnixNanos): string {
  const digest = sha256(TEXT.encode(`${kind}\0${alertSubjectKey(subject)}\0${start}`));
  // The package draws the random digits last first (it prepends each draw); 256 is a
  // multiple of 32, so every digit is uniform.
  let next = RANDOM_CHARACTERS;
  const randomPart = ulid(TIME_MAX, () => (digest[--next]! % 32) / 32).slice(-RANDOM_CHARACTERS);
  // `ulid(0, prng)` would read the clock for the time part, so the time is encoded apart.
  return encodeTime(Number(start / NANOS_PER_MILLISECOND)) + randomPart;
}
