import { createReadStream } from 'node:fs';

/** One line of a file and exactly where it lies, so a later run can start right after it. */
export interface FileLine {
  /** 1-based line number in the file. */
  readonly number: number;
  /** Byte offset just past the line and its line break: where the next line starts. */
  readonly end: number;
  /** The line without its line break (`\n` or `\r\n`), decoded as UTF-8. */
  readonly text: string;
}

export interface LineReadStart {
  /** Byte offset of the first line to read; `0` reads the file from its start. */
  readonly offset: number;
  /** The line number of the line at `offset`. */
  readonly lineNumber: number;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BYTE_ORDER_MARK = '\uFEFF';

/**
 * The lines of a file from `start` on, each with the byte offset just past it, read in
 * chunks (never the whole file) and handed out a chunk's lines at a time (one await per
 * chunk, not per line). A last line without a line break is still a line.
 */
export async function* readFileLines(
  path: string,
  start: LineReadStart = { offset: 0, lineNumber: 1 },
): AsyncGenerator<FileLine[]> {
  let pending: Buffer = Buffer.alloc(0);
  let pendingStart = start.offset;
  let number = start.lineNumber;
  const decode = (bytes: Buffer, lineStart: number): string => {
    const end =
      bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN ? bytes.length - 1 : bytes.length;
    const text = bytes.toString('utf8', 0, end);
    return lineStart === 0 && text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;
  };
  for await (const chunk of createReadStream(path, { start: start.offset, highWaterMark: 256 * 1024 })) {
    const bytes: Buffer =
      pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
    let lineStart = 0;
    const lines: FileLine[] = [];
    for (;;) {
      const newline = bytes.indexOf(NEWLINE, lineStart);
      if (newline < 0) break;
      const end = pendingStart + newline + 1;
      lines.push({ number, end, text: decode(bytes.subarray(lineStart, newline), pendingStart + lineStart) });
      number += 1;
      lineStart = newline + 1;
    }
    if (lines.length > 0) yield lines;
    pending = bytes.subarray(lineStart);
    pendingStart += lineStart;
  }
  if (pending.length > 0) {
    yield [{ number, end: pendingStart + pending.length, text: decode(pending, pendingStart) }];
  }
}
