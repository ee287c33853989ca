import { formatOptionsMarkdown } from '@message-bus/server-kit';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serverOptions } from '@message-bus/runtime';
import { cqserverParts } from '../src/parts';

/**
 * The README's configuration table is generated from the same declarations as `--help`
 * (cqserver runs every part, so it knows every option). `npm run docs:options`
 * rewrites it; without that, this test fails when the table is stale.
 */
const readmePath = resolve(__dirname, '../../../README.md');
const START = '<!-- options:start -->';
const END = '<!-- options:end -->';

describe('README configuration table', () => {
  it('lists every cqserver option as --help declares it', () => {
    const readme = readFileSync(readmePath, 'utf8');
    const start = readme.indexOf(START);
    const end = readme.indexOf(END);
    expect(start, `README.md lacks the ${START} marker`).toBeGreaterThanOrEqual(0);
    expect(end, `README.md lacks the ${END} marker`).toBeGreaterThan(start);
    const table = formatOptionsMarkdown(serverOptions(cqserverParts('')));
    const fresh = `${readme.slice(0, start + START.length)}\n${table}${readme.slice(end)}`;
    if (process.env['UPDATE_README_OPTIONS'] === '1') {
      writeFileSync(readmePath, fresh);
      return;
    }
    expect(readme, 'README.md options table is stale: run `npm run docs:options`').toBe(fresh);
  });
});
