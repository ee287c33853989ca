/**
 * A small seeded PRNG (sfc32) with the draws the fuzzer needs, so a failing case is
 * reproduced from its seed and index alone: `SeededRandom.forCase(seed, index)`.
 */
export class SeededRandom {
  private constructor(
    private a: number,
    private b: number,
    private c: number,
    private d: number,
  ) {
    // The first outputs of sfc32 still echo the seed; discard them.
    for (let round = 0; round < 12; round += 1) this.next();
  }

  /** The stream of draws of case `index` of a run seeded with `seed`, independent of every other case. */
  static forCase(seed: number, index: number): SeededRandom {
    return new SeededRandom(seed >>> 0, index >>> 0, 0x9e3779b9, (seed ^ (index * 0x85ebca6b)) >>> 0);
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** An integer in [0, bound). */
  below(bound: number): number {
    return Math.floor((this.next() / 0x1_0000_0000) * bound);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.below(items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** Any 64-bit two's-complement pattern, as a signed bigint. */
  int64(): bigint {
    return BigInt.asIntN(64, (BigInt(this.next()) << 32n) | BigInt(this.next()));
  }

  bytes(length: number): Buffer {
    const bytes = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i += 1) bytes[i] = this.next() & 0xff;
    return bytes;
  }
}
