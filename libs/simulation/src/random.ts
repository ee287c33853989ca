import { ValidationError } from '@message-bus/domain';

const TWO_POW_32 = 4_294_967_296;

/**
 * A seeded pseudo-random generator (xoshiro128**, seeded through splitmix32), so a
 * simulation is a pure function of its scenario and seed. Not for secrets.
 */
export class Random {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /** `seed` is any safe integer; its high and low 32 bits both reach the state. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new ValidationError('not_integer', 'seed', `is ${seed}; a seed is a safe integer`);
    }
    let state = (seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_POW_32) | 0, 0x9e3779b9);
    const nextSplitMix = (): number => {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.#s0 = nextSplitMix();
    this.#s1 = nextSplitMix();
    this.#s2 = nextSplitMix();
    this.#s3 = nextSplitMix();
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.#s1, 5), 7), 9);
    const shifted = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= shifted;
    this.#s3 = rotateLeft(this.#s3, 11);
    return result >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform in [low, high). */
  between(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** A uniform integer in [low, high], both inclusive. */
  integer(low: number, high: number): number {
    return low + Math.floor(this.uniform() * (high - low + 1));
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.uniform(); // (0, 1], so the logarithm is finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }

  /** Exponential with the given rate (mean 1 / rate). */
  exponential(rate: number): number {
    return -Math.log(1 - this.uniform()) / rate;
  }
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}
