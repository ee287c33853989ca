import { describe, expect, it } from 'vitest';
import { csvCells, CsvSyntaxError, formatCsvLine, splitCsvLine } from './csv-fields';

describe('splitCsvLine', () => {
  it('splits plain fields, keeping empty ones', () => {
    expect(splitCsvLine('a,b,,d', ',')).toEqual(['a', 'b', '', 'd']);
    expect(splitCsvLine('a;b', ';')).toEqual(['a', 'b']);
    expect(splitCsvLine('a\tb', '\t')).toEqual(['a', 'b']);
  });

  it('reads quoted fields with delimiters and doubled quotes inside', () => {
    expect(splitCsvLine('"a,1","say ""hi""",c,""', ',')).toEqual(['a,1', 'say "hi"', 'c', '']);
  });

  it('rejects an unclosed quote and text after a closing quote, naming the field', () => {
    expect(() => splitCsvLine('a,"b', ',')).toThrow(CsvSyntaxError);
    expect(() => splitCsvLine('a,"b', ',')).toThrow(
      'field 2 opens a quote at character 3 that is never closed',
    );
    expect(() => splitCsvLine('"a"x,b', ',')).toThrow(
      'field 1 has text after its closing quote at character 4',
    );
  });
});

describe('formatCsvLine', () => {
  it('quotes only fields that need it, and splitCsvLine reads them back', () => {
    const fields = ['plain', 'with,comma', 'with "quote"', ' padded', ''];
    const line = formatCsvLine(fields);
    expect(line).toBe('plain,"with,comma","with ""quote"""," padded",');
    expect(splitCsvLine(line, ',')).toEqual(fields);
  });
});

describe('csvCells', () => {
  it('gives the named fields of a JSON row in the columns’ order, null as an empty cell', () => {
    const row = { name: 'a1', medianSeconds: 95.4, thin: false, level: null };
    expect(csvCells(row, ['level', 'name', 'thin', 'medianSeconds'])).toEqual(['', 'a1', 'false', '95.4']);
  });
});
