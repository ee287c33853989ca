import { describe, expect, it } from 'vitest';
import { newestConsistentSamples } from './newest-consistent-samples';

describe('newestConsistentSamples', () => {
  it('keeps every sample of steady traffic', () => {
    const steady = [300, 310, 290, 305, 295, 330, 285, 300];
    expect(newestConsistentSamples(steady)).toEqual(steady);
  });

  it('drops older halves while the newer half differs by more than 15 %', () => {
    // Halves [100, 110, 120, 130] / [140, 150, 160, 170]: 115 vs 155, dropped;
    // then [140, 150] / [160, 170]: 145 vs 165, 13.8 %, kept.
    expect(newestConsistentSamples([100, 110, 120, 130, 140, 150, 160, 170])).toEqual([140, 150, 160, 170]);
    // Up to 115.000001 % is still the same traffic; beyond it the older half goes.
    expect(newestConsistentSamples([100, 100, 115, 115])).toEqual([100, 100, 115, 115]);
    expect(newestConsistentSamples([100, 100, 115.001, 115.001])).toEqual([115.001, 115.001]);
    expect(newestConsistentSamples([200, 200, 169.999, 169.999])).toEqual([169.999, 169.999]);
  });

  it('keeps at least two samples in each half', () => {
    expect(newestConsistentSamples([100, 300, 300])).toEqual([100, 300, 300]);
    expect(newestConsistentSamples([100, 100, 300, 300, 300])).toEqual([300, 300, 300]);
    expect(newestConsistentSamples([])).toEqual([]);
  });
});
