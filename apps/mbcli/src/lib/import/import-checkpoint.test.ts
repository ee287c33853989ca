import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkpointMismatch,
  fileHead,
  loadCheckpoint,
  saveCheckpoint,
  type ImportCheckpoint,
} from './import-checkpoint';
import { RejectsFile } from './import-rejects';

const dir = mkdtempSync(join(tmpdir(), 'import-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('import checkpoints', () => {
  const log = join(dir, 'log.csv');
  writeFileSync(log, 'a,b,c\n1,2,3\n');
  const checkpoint: ImportCheckpoint = {
    version: 1,
    file: fileHead(log),
    layout: 'layout-1',
    offset: 12,
    nextLine: 3,
    rows: { read: 1, stored: 1, rejected: 0 },
    rejectsBytes: 0,
    savedAt: '2026-01-30T08:00:00.000Z',
  };

  it('round-trips, and is absent until saved', () => {
    const path = join(dir, 'state.json');
    expect(loadCheckpoint(path)).toBeUndefined();
    saveCheckpoint(path, checkpoint);
    expect(loadCheckpoint(path)).toEqual(checkpoint);
  });

  it('refuses a file that is not a checkpoint', () => {
    const path = join(dir, 'other.json');
    writeFileSync(path, '{"version": 2}');
    expect(() => loadCheckpoint(path)).toThrow(`the import checkpoint ${path} is not one mbcli wrote`);
  });

  it('resumes a log that grew, but not one that changed, shrank, or is read with other flags', () => {
    appendFileSync(log, '4,5,6\n');
    expect(checkpointMismatch(checkpoint, log, 18, 'layout-1')).toBeUndefined();
    expect(checkpointMismatch(checkpoint, log, 18, 'layout-2')).toBe(
      'was being imported with other column, time or kind flags',
    );
    expect(checkpointMismatch(checkpoint, log, 10, 'layout-1')).toBe(
      'is shorter than where the checkpoint left off (byte 12)',
    );
    writeFileSync(log, 'a,b,c\n9,9,9\n4,5,6\n');
    expect(checkpointMismatch(checkpoint, log, 18, 'layout-1')).toBe(
      'does not start as the file the checkpoint was made from',
    );
  });
});

describe('RejectsFile', () => {
  const rejection = (line: number) => ({
    line,
    reason: 'csv_syntax' as const,
    message: 'bad, "quoted"',
    text: `x,"${line}`,
  });

  it('writes a header and a row per reject; a resumed import cuts back to the checkpointed length', () => {
    const path = join(dir, 'rejects.csv');
    const fresh = RejectsFile.fresh(path);
    fresh.write([rejection(3)]);
    const checkpointed = fresh.bytes;
    fresh.write([rejection(9)]);
    fresh.close();
    expect(readFileSync(path, 'utf8')).toBe(
      'line,reason,message,original_line\n3,csv_syntax,"bad, ""quoted""","x,""3"\n9,csv_syntax,"bad, ""quoted""","x,""9"\n',
    );
    const resumed = RejectsFile.resumed(path, checkpointed);
    resumed.write([rejection(9)]);
    resumed.close();
    expect(
      readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('9,')),
    ).toHaveLength(1);
    RejectsFile.fresh(path).close();
    expect(() => readFileSync(path)).toThrow();
  });
});
