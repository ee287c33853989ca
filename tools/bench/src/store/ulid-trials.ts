import { randomBytes } from 'node:crypto';
import { decodeUlidTime, encodeUlid, ulidProblem, UlidWriter } from '@message-bus/store-kv';
import { decodeTime, isValid, MAX_ULID } from 'ulid';
import type { Trial } from '../measure';

/** How many distinct (time, entropy) inputs the ULID trials cycle through. */
const DISTINCT_INPUTS = 4096;
const ENTROPY_BYTES = 10;

/**
 * The deterministic ULIDs of event keys, made two ways from the same times and hashes:
 * by the keyspace's `UlidWriter` and by the `ulid` package (its PRNG fed the hash,
 * `encodeUlid`). Both give the same text (checked before timing, and by store-kv's tests).
 */
export class UlidWorkload {
  readonly #times: readonly number[];
  readonly #entropies: readonly Uint8Array[];

  constructor(startedAt: Date) {
    const ms = startedAt.getTime();
    this.#times = Array.from({ length: DISTINCT_INPUTS }, (_, index) => ms + index);
    this.#entropies = Array.from({ length: DISTINCT_INPUTS }, () => randomBytes(ENTROPY_BYTES));
  }

  /** `UlidWriter#ulid`: what the keyspace does per sighting (it writes into the key's bytes instead). */
  writer(id: string, count: number): Trial {
    const writer = new UlidWriter();
    return this.#trial(id, count, (ms, entropy) => writer.ulid(ms, entropy));
  }

  /** The baseline: the `ulid` package, `ulid(time, prng)` with the PRNG fed the hash. */
  library(id: string, count: number): Trial {
    return this.#trial(id, count, encodeUlid);
  }

  /** What every key read does with its ULID: `ulidProblem` then `decodeUlidTime`, the keyspace's. */
  reader(id: string, count: number): Trial {
    return this.#readTrial(id, count, (text) =>
      ulidProblem(text) === undefined ? decodeUlidTime(text) : -1,
    );
  }

  /** The baseline: the package's `isValid` (narrowed as the keyspace needs) then `decodeTime`. */
  libraryReader(id: string, count: number): Trial {
    return this.#readTrial(id, count, (text) =>
      isValid(text) && text === text.toUpperCase() && text <= MAX_ULID ? decodeTime(text) : -1,
    );
  }

  /** Throws unless both contenders make the same ULIDs: they must do the same work. */
  checkAgreement(): void {
    const writer = new UlidWriter();
    this.#times.forEach((ms, index) => {
      const entropy = this.#entropies[index]!;
      const ours = writer.ulid(ms, entropy);
      const library = encodeUlid(ms, entropy);
      if (ours !== library) throw new Error(`UlidWriter gives ${ours}, the ulid package ${library}`);
    });
  }

  #readTrial(id: string, count: number, timeOf: (text: string) => number): Trial {
    const ulids = this.#times.map((ms, index) => encodeUlid(ms, this.#entropies[index]!));
    const expected = this.#times.reduce((sum, ms) => sum + ms, 0);
    return {
      id,
      async prepare() {
        return async () => {
          for (let done = 0; done < count; done += ulids.length) {
            const slice = Math.min(ulids.length, count - done);
            let sum = 0;
            for (let index = 0; index < slice; index += 1) sum += timeOf(ulids[index]!);
            // Uses every result, so no read can be optimised away.
            if (slice === ulids.length && sum !== expected) throw new Error(`${id}: read the wrong times`);
          }
        };
      },
    };
  }

  #trial(id: string, count: number, ulidOf: (ms: number, entropy: Uint8Array) => string): Trial {
    const times = this.#times;
    const entropies = this.#entropies;
    return {
      id,
      async prepare() {
        return async () => {
          let characters = 0;
          for (let index = 0; index < count; index += 1) {
            const input = index % DISTINCT_INPUTS;
            characters += ulidOf(times[input]!, entropies[input]!).length;
          }
          // Uses every result, so no ULID can be optimised away.
          if (characters !== count * 26) throw new Error(`${id}: a ULID is not 26 characters`);
        };
      },
    };
  }
}
