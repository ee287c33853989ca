import { describe, expect, it } from 'vitest';
import { Random } from './random';

function draws(random: Random, count: number, draw: (random: Random) => number): number[] {
  return Array.from({ length: count }, () => draw(random));
}

describe('Random', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const first = draws(new Random(42), 5, (random) => random.nextUint32());
    expect(draws(new Random(42), 5, (random) => random.nextUint32())).toEqual(first);
    expect(draws(new Random(43), 5, (random) => random.nextUint32())).not.toEqual(first);
    // High bits of the seed matter too.
    expect(draws(new Random(42 + 2 ** 32), 5, (random) => random.nextUint32())).not.toEqual(first);
  });

  it('draws uniform, normal and exponential values with the right moments', () => {
    const random = new Random(1);
    const uniforms = draws(random, 100_000, (r) => r.uniform());
    expect(Math.min(...uniforms)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...uniforms)).toBeLessThan(1);
    expect(mean(uniforms)).toBeCloseTo(0.5, 2);
    const normals = draws(random, 100_000, (r) => r.normal());
    expect(mean(normals)).toBeCloseTo(0, 1);
    expect(Math.sqrt(mean(normals.map((value) => value ** 2)))).toBeCloseTo(1, 1);
    expect(mean(draws(random, 100_000, (r) => r.exponential(4)))).toBeCloseTo(0.25, 2);
  });

  it('draws integers in an inclusive range, each about equally often', () => {
    const random = new Random(2);
    const counts = [0, 0, 0];
    for (const value of draws(random, 30_000, (r) => r.integer(1, 3)))
      counts[value - 1] = (counts[value - 1] ?? 0) + 1;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(400);
  });

  it('rejects a seed that is not a safe integer', () => {
    expect(() => new Random(1.5)).toThrow('seed: is 1.5; a seed is a safe integer');
    expect(() => new Random(Number.NaN)).toThrow('seed: is NaN; a seed is a safe integer');
  });
});

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
