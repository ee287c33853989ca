/** A CSV line that cannot be split into fields, e.g. a quote that is never closed. */
export class CsvSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

/**
 * The fields of one CSV line (RFC 4180 quoting: `"a ""b"""` is `a "b"`). A quoted
 * field cannot span lines: logs are read a line at a time, so a line break inside
 * quotes shows up as an unclosed quote and that line is rejected.
 */
export function splitCsvLine(line: string, delimiter: string): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  const fields: string[] = [];
  let position = 0;
  for (;;) {
    if (line.startsWith('"', position)) {
      let value = '';
      let cursor = position + 1;
      for (;;) {
        const quote = line.indexOf('"', cursor);
        if (quote < 0) {
          throw new CsvSyntaxError(
            `field ${fields.length + 1} opens a quote at character ${position + 1} that is never closed`,
          );
        }
        value += line.slice(cursor, quote);
        if (line.startsWith('""', quote)) {
          value += '"';
          cursor = quote + 2;
          continue;
        }
        cursor = quote + 1;
        break;
      }
      fields.push(value);
      if (cursor === line.length) return fields;
      if (!line.startsWith(delimiter, cursor)) {
        throw new CsvSyntaxError(
          `field ${fields.length} has text after its closing quote at character ${cursor + 1}`,
        );
      }
      position = cursor + delimiter.length;
    } else {
      const next = line.indexOf(delimiter, position);
      if (next < 0) {
        fields.push(line.slice(position));
        return fields;
      }
      fields.push(line.slice(position, next));
      position = next + delimiter.length;
    }
  }
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/** One CSV line (comma-separated, no line break), quoting only the fields that need it. */
export function formatCsvLine(fields: readonly string[]): string {
  return fields
    .map((field) => (NEEDS_QUOTES.test(field) ? `"${field.replaceAll('"', '""')}"` : field))
    .join(',');
}

/** A JSON value as a CSV cell: null (a value the data does not have) is an empty cell. */
export function csvCell(value: string | number | boolean | null): string {
  return value === null ? '' : String(value);
}

/**
 * A row's CSV cells under `columns`, which are names of the row's JSON fields: a CSV
 * export and `--json` call the same datum by the same name.
 */
export function csvCells<Row extends object>(
  row: Row,
  columns: readonly (keyof Row & string)[],
): string[] {
  return columns.map((column) => csvCell(row[column] as string | number | boolean | null));
}
