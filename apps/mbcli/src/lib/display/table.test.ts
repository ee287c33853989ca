import { describe, expect, it } from 'vitest';
import { renderTable } from './table';

describe('renderTable', () => {
  it('pads every column to its widest cell, under a rule', () => {
    expect(
      renderTable(
        ['ID', 'VALUE'],
        [
          ['a1', '1'],
          ['long-id', '22'],
        ],
      ),
    ).toBe(['ID       VALUE', '-------  -----', 'a1       1', 'long-id  22'].join('\n'));
  });

  it('prints only the header when there are no rows', () => {
    expect(renderTable(['A', 'B'], [])).toBe('A  B\n-  -');
  });
});
