import type { DetectorView } from './api';
import { formatHealth } from './format';

/** The sortable columns of the detector table (`th[data-sort]`, `td[data-col]`). */
export type DetectorColumn = 'id' | 'last-seen' | 'battery' | 'clock-skew' | 'health' | 'count';

export interface DetectorSort {
  readonly column: DetectorColumn;
  readonly descending: boolean;
}

type SortValue = string | number | undefined;

function sortValue(detector: DetectorView, column: DetectorColumn): SortValue {
  switch (column) {
    case 'id':
      return detector.id;
    case 'last-seen':
      return detector.lastSeen === undefined ? undefined : Date.parse(detector.lastSeen);
    case 'battery':
      return detector.batteryVolts;
    case 'clock-skew':
      // The size of the offset is what matters to an operator, not its sign.
      return detector.clockSkewSeconds === undefined ? undefined : Math.abs(detector.clockSkewSeconds);
    case 'health':
      return formatHealth(detector);
    case 'count':
      return detector.detectionCount;
  }
}

/**
 * The detectors in the order of `sort`. A missing value sorts last in either direction;
 * ties keep id order, so the table does not jump when live updates arrive.
 */
export function sortDetectors(detectors: readonly DetectorView[], sort: DetectorSort): DetectorView[] {
  const direction = sort.descending ? -1 : 1;
  return [...detectors].sort((a, b) => {
    const left = sortValue(a, sort.column);
    const right = sortValue(b, sort.column);
    if (left === undefined || right === undefined) {
      if (left !== right) return left === undefined ? 1 : -1;
    } else if (left !== right) {
      return direction * (typeof left === 'number' && typeof right === 'number'
        ? left - right
        : String(left).localeCompare(String(right)));
    }
    return a.id.localeCompare(b.id);
  });
}

/** Clicking a column's header: the same column flips direction, another sorts ascending. */
export function nextSort(current: DetectorSort, column: DetectorColumn): DetectorSort {
  return { column, descending: column === current.column ? !current.descending : false };
}
