import { query } from '@message-bus/proto';
import { describe, expect, it } from 'vitest';
import { reliabilityCells, reliabilityFigures } from './reliability-rows';

describe('reliabilityFigures', () => {
  it('keeps the figures the server gave and shows the indices, buffer as a percentage', () => {
    const figures = reliabilityFigures(
      query.Reliability.fromPartial({
        intervals: 96n,
        meanSeconds: 132,
        p95Seconds: 201.6,
        freeFlowSeconds: 110,
        travelTimeIndex: 1.2,
        planningTimeIndex: 1.8327,
        bufferIndex: 0.5273,
      }),
    );
    expect(figures).toEqual({
      intervals: 96,
      meanSeconds: 132,
      p95Seconds: 201.6,
      freeFlowSeconds: 110,
      travelTimeIndex: 1.2,
      planningTimeIndex: 1.8327,
      bufferIndex: 0.5273,
    });
    expect(reliabilityCells(figures)).toEqual(['1.20', '1.83', '53%', '2m12s', '3m22s', '1m50s', '96']);
  });

  it('shows a range without estimates as dashes and zero intervals', () => {
    const figures = reliabilityFigures(query.Reliability.fromPartial({ intervals: 0n }));
    expect(figures).toEqual({
      intervals: 0,
      meanSeconds: null,
      p95Seconds: null,
      freeFlowSeconds: null,
      travelTimeIndex: null,
      planningTimeIndex: null,
      bufferIndex: null,
    });
    expect(reliabilityCells(figures)).toEqual(['-', '-', '-', '-', '-', '-', '0']);
  });
});
