import { query } from '@message-bus/proto';
import { describe, expect, it } from 'vitest';
import { csvCells } from '../csv/csv-fields';
import { OD_CSV_COLUMNS, odMatrix, odSummary, renderOdMatrix } from './od-matrix';

const response = query.GetOriginDestinationResponse.fromPartial({
  detectorIds: ['a1', 'b1', 'c1'],
  cells: [
    { originDetectorId: 'b1', destinationDetectorId: 'c1', trips: 4n, medianSeconds: 61 },
    { originDetectorId: 'a1', destinationDetectorId: 'c1', trips: 12n, medianSeconds: 155.4 },
    { originDetectorId: 'a1', destinationDetectorId: 'b1', trips: 3n },
  ],
  singleDetectorTrips: 5n,
});

describe('odMatrix', () => {
  it('orders the cells by origin then destination in the detectors’ order and adds up the trips', () => {
    const matrix = odMatrix(response);
    expect(matrix).toEqual({
      detectors: ['a1', 'b1', 'c1'],
      cells: [
        { origin: 'a1', destination: 'b1', trips: 3, medianSeconds: null },
        { origin: 'a1', destination: 'c1', trips: 12, medianSeconds: 155.4 },
        { origin: 'b1', destination: 'c1', trips: 4, medianSeconds: 61 },
      ],
      trips: 19,
      singleDetectorTrips: 5,
    });
    expect(odSummary(matrix)).toBe('19 trips between 3 detectors; 5 seen at one detector only');
    expect(csvCells(matrix.cells[0]!, OD_CSV_COLUMNS)).toEqual(['a1', 'b1', '3', '']);
    expect(csvCells(matrix.cells[1]!, OD_CSV_COLUMNS)).toEqual(['a1', 'c1', '12', '155.4']);
  });

  it('draws origins as rows and destinations as columns, trips with their median', () => {
    expect(renderOdMatrix(odMatrix(response)).split('\n')).toEqual([
      'ORIGIN \\ DESTINATION  a1  b1  c1',
      '--------------------  --  --  ----------',
      'a1                    -   3   12 (2m35s)',
      'b1                    -   -   4 (1m01s)',
      'c1                    -   -   -',
    ]);
  });
});
