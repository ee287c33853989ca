import { describe, expect, it } from 'vitest';
import { ImportProgress, progressBar } from './import-progress';

const position = { bytesDone: 250, bytesTotal: 1000, rowsRead: 2500, rejected: 3, rowsPerSecond: 1000 };

describe('import progress', () => {
  it('draws a bar with the share done, rows, rejects, rate and time left', () => {
    expect(progressBar(position)).toBe(
      '[########----------------------] 25% 2500 rows (3 rejected), 1000 rows/s, about 8s left',
    );
  });

  it('writes a plain line every ten seconds when stderr is not a terminal', () => {
    const written: string[] = [];
    const stderr = {
      isTTY: false,
      write: (text: string) => written.push(text),
    } as unknown as NodeJS.WriteStream;
    let now = 1_000;
    const progress = new ImportProgress(stderr, () => now);
    progress.show(position);
    now += 5_000;
    progress.show(position);
    expect(written).toEqual([]);
    now += 5_000;
    progress.show(position);
    expect(written).toEqual(['import: 25% 2500 rows (3 rejected), 1000 rows/s, about 8s left\n']);
  });
});
