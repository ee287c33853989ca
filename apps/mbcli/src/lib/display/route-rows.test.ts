import { collector } from '@message-bus/proto';
import { describe, expect, it } from 'vitest';
import { routeCells, routeRows } from './route-rows';

describe('routeRows', () => {
  it('sorts by name and shows the detectors upstream first with the number of links', () => {
    const rows = routeRows([
      collector.Route.fromPartial({ name: 'west', detectorIds: ['c1', 'b1'] }),
      collector.Route.fromPartial({ name: 'east', detectorIds: ['a1', 'b1', 'c1'] }),
    ]);
    expect(rows).toEqual([
      { name: 'east', detectors: ['a1', 'b1', 'c1'] },
      { name: 'west', detectors: ['c1', 'b1'] },
    ]);
    expect(routeCells(rows[0]!)).toEqual(['east', '2', 'a1 → b1 → c1']);
  });
});
