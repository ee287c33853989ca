import {
  NANOS_PER_MILLISECOND,
  NANOS_PER_SECOND,
  parseDetectorId,
  type DetectorId,
  type Sighting,
  type UnixNanos,
} from '@message-bus/domain';
import type { EventQuery, Repository } from '../repository';

/** Test data and helpers of the conformance suite (internal: not exported). */

/**
 * A fixed recent base time, on a bucket boundary (a multiple of 100 seconds), two hours
 * ago: recent enough that no retention expires the test data while a test runs.
 */
export const BASE_SECOND = Math.floor(Date.now() / 1000 / 100) * 100 - 2 * 3600;

/** `seconds` (plus `nanos`) after the base time. */
export function at(seconds: number, nanos = 0n): UnixNanos {
  return BigInt(BASE_SECOND + seconds) * NANOS_PER_SECOND + nanos;
}

export function detector(id: string): DetectorId {
  return parseDetectorId(id);
}

/** A pseudonym-shaped device id: 22 base64url characters. */
export function pseudonym(n: number): string {
  return `P${String(n).padStart(8, '0')}`.padEnd(22, 'q');
}

export function sighting(detectorId: DetectorId, device: number, time: UnixNanos): Sighting {
  return { detectorId, deviceId: pseudonym(device), time };
}

/**
 * What `events.list` yields for `query`. Reads `events.listPages` too and throws unless
 * it hands out the same sightings in the same order, in pages none of which is empty,
 * so every listing test checks both.
 */
export async function list(repository: Repository, query: EventQuery): Promise<Sighting[]> {
  const sightings: Sighting[] = [];
  for await (const one of repository.events.list(query)) sightings.push(one);
  const paged: Sighting[] = [];
  for await (const page of repository.events.listPages(query)) {
    if (page.length === 0) throw new Error('events.listPages handed out an empty page');
    paged.push(...page);
  }
  const same = paged.length === sightings.length && paged.every((one, i) => sameSighting(one, sightings[i]!));
  if (!same) {
    throw new Error(
      `events.listPages handed out ${paged.length} sightings that differ from the ${sightings.length} of events.list`,
    );
  }
  return sightings;
}

function sameSighting(a: Sighting, b: Sighting): boolean {
  return (
    a.detectorId === b.detectorId &&
    a.deviceId === b.deviceId &&
    a.time === b.time &&
    a.previousDeviceId === b.previousDeviceId
  );
}

export function oldestFirst(sightings: readonly Sighting[]): Sighting[] {
  return [...sightings].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

export function newestFirst(sightings: readonly Sighting[]): Sighting[] {
  return oldestFirst(sightings).reverse();
}

/** A fixed permutation (a reversal of interleaved halves), so tests never depend on input order. */
export function shuffled<T>(items: readonly T[]): T[] {
  const odd = items.filter((_, i) => i % 2 === 1);
  const even = items.filter((_, i) => i % 2 === 0);
  return [...odd, ...even].reverse();
}

/** The next `count` items, failing with a clear message (not a test timeout) if they do not come. */
export async function take<T>(iterator: AsyncIterator<T>, count: number, timeoutMs = 10_000): Promise<T[]> {
  const items: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`expected ${count} followed items, got ${items.length} within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    while (items.length < count) {
      const result = await Promise.race([iterator.next(), timeout]);
      if (result.done) throw new Error(`the iteration ended after ${items.length} of ${count} items`);
      items.push(result.value);
    }
    return items;
  } finally {
    clearTimeout(timer);
  }
}

export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A ULID for an alert that starts at `start`, as the store requires: its time is the
 * start's millisecond; `n` (decimal, so only digits) fills its other 16 characters.
 */
export function alertUlid(start: UnixNanos, n: number): string {
  let ms = Number(start / NANOS_PER_MILLISECOND);
  let time = '';
  for (let i = 0; i < 10; i += 1) {
    time = CROCKFORD.charAt(ms % 32) + time;
    ms = Math.floor(ms / 32);
  }
  return time + String(n).padStart(16, '0');
}
