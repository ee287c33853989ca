import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFileLines, type FileLine } from './csv-line-reader';

const dir = mkdtempSync(join(tmpdir(), 'csv-line-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function linesOf(content: string | Buffer, offset = 0, lineNumber = 1): Promise<FileLine[]> {
  const path = join(dir, `file-${Math.random()}`);
  writeFileSync(path, content);
  const lines: FileLine[] = [];
  for await (const chunk of readFileLines(path, { offset, lineNumber })) lines.push(...chunk);
  return lines;
}

describe('readFileLines', () => {
  it('gives each line with its number and the byte offset just past it, \\n or \\r\\n, last line unterminated', async () => {
    expect(await linesOf('a,1\r\nbé,2\nc,3')).toEqual([
      { number: 1, end: 5, text: 'a,1' },
      { number: 2, end: 11, text: 'bé,2' },
      { number: 3, end: 14, text: 'c,3' },
    ]);
  });

  it('starts at an offset with the given line number, as a resumed import does', async () => {
    expect(await linesOf('a\nbb\nccc\n', 5, 3)).toEqual([{ number: 3, end: 9, text: 'ccc' }]);
  });

  it('drops a UTF-8 byte order mark at the start of the file only', async () => {
    const lines = await linesOf('\uFEFFh1,h2\n\uFEFFx\n');
    expect(lines.map((line) => line.text)).toEqual(['h1,h2', '\uFEFFx']);
  });

  it('keeps lines and offsets exact across chunk boundaries', async () => {
    const rows = Array.from({ length: 50_000 }, (_, index) => `row-${index},ü${index}`);
    const lines = await linesOf(`${rows.join('\n')}\n`);
    expect(lines).toHaveLength(rows.length);
    expect(lines[31_337]!.text).toBe(rows[31_337]);
    const expectedEnd = rows.slice(0, 31_338).reduce((bytes, row) => bytes + Buffer.byteLength(row) + 1, 0);
    expect(lines[31_337]!.end).toBe(expectedEnd);
  });
});
