import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MachineInfo } from './machine';
import { median, type TimedRun } from './measure';

/** Throughput (more is better: events or matched travel-time samples per second) or time per operation (less is better). */
export type ResultUnit = 'events/s' | 'samples/s' | 'ms';

/** What one result row measures, before it is measured. */
export interface ResultSpec {
  /** Stable key for scripts comparing runs; e.g. `append.etcd.repository.batch-10000`. */
  readonly id: string;
  /** The table section; e.g. `append, batch 10,000 events per call`. */
  readonly group: string;
  /** What ran; e.g. `etcd: repository`. */
  readonly label: string;
  /** Events (or, for `samples/s`, samples) one timed run handled: the input size. */
  readonly events: number;
  readonly unit: ResultUnit;
  /** Operations one timed run repeated, for `ms` rows (time per operation); default 1. */
  readonly operations?: number;
}

export interface ResultRow extends ResultSpec {
  /** Median over the recorded rounds. */
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** The value of each recorded round, in round order. */
  readonly rounds: readonly number[];
  /** Median CPU time this process spent per event, in microseconds: the client's share of the cost. */
  readonly clientCpuMicrosPerEvent: number;
}

/** A result against its baseline, both medians of the same run. */
export interface RatioRow {
  readonly id: string;
  /** e.g. `etcd repository vs raw etcd3, batch 10,000`. */
  readonly label: string;
  /** The measured row's id. */
  readonly of: string;
  /** The baseline row's id. */
  readonly to: string;
  /** How many times as fast as the baseline: 1 is as fast, 0.5 half as fast, 20 twenty times faster. */
  readonly value: number;
  /** The least `value` that counts as good enough, when there is a target. */
  readonly target?: number;
  readonly met?: boolean;
}

/** How close one estimator came to the ground truth over the scored intervals. */
export interface AccuracyRow {
  /** Stable key; e.g. `accuracy.ours`. */
  readonly id: string;
  readonly label: string;
  /** Intervals scored: those where the estimator published a value from enough valid samples. */
  readonly intervals: number;
  /** Absolute percentage errors against the truth, as fractions (0.05 is 5 %). */
  readonly medianApe: number;
  readonly p90Ape: number;
  readonly meanApe: number;
  /** The share of scored intervals within 10 % of the truth. */
  readonly within10Percent: number;
}

/** Estimators scored against a simulation's ground truth, and how their errors compare. */
export interface AccuracySection {
  /** What was scored; e.g. `a simulated day of the corridor, every link every 60 s`. */
  readonly title: string;
  readonly rows: readonly AccuracyRow[];
  /** `value` is how many times smaller the error is than the baseline's: 2 is half the error. */
  readonly ratios: readonly RatioRow[];
}

/** A table of a suite's own (e.g. latencies and memory), shown after the ratios. */
export interface ExtraTable {
  readonly title: string;
  /** Column headings after the row label. */
  readonly columns: readonly string[];
  /** Each row: its label, then one cell per column. */
  readonly rows: readonly (readonly string[])[];
}

export interface BenchReport {
  /** The suite's name, also the results' file name; e.g. `store`. */
  readonly suite: string;
  readonly title: string;
  /** `smoke`: tiny sizes and one round, to prove the bench runs; its numbers mean nothing. */
  readonly mode: 'full' | 'smoke';
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly machine: MachineInfo;
  /** Rounds, warm-ups and input sizes; e.g. `{ rounds: 3, 'append.batch-1.events': 2000 }`. */
  readonly settings: Readonly<Record<string, string | number>>;
  readonly results: readonly ResultRow[];
  readonly ratios: readonly RatioRow[];
  /** Accuracy against ground truth, for suites that estimate something. */
  readonly accuracy?: AccuracySection;
  /** Further tables of the suite's own. */
  readonly tables?: readonly ExtraTable[];
  /** Sentences a reader needs to interpret the numbers; e.g. what each baseline does. */
  readonly notes: readonly string[];
}

/** A row from what each recorded round took. */
export function toResultRow(spec: ResultSpec, runs: readonly TimedRun[]): ResultRow {
  const operations = spec.operations ?? 1;
  const rounds = runs.map(({ seconds }) =>
    spec.unit === 'ms' ? (seconds * 1000) / operations : spec.events / seconds,
  );
  const cpuPerEvent = runs.map(({ cpuSeconds }) => (cpuSeconds * 1e6) / (spec.events * operations));
  return {
    ...spec,
    median: median(rounds),
    min: Math.min(...rounds),
    max: Math.max(...rounds),
    rounds,
    clientCpuMicrosPerEvent: median(cpuPerEvent),
  };
}

/** `of` against `baseline` as a speed ratio, whichever way their unit points. */
export function speedRatio(
  id: string,
  label: string,
  of: ResultRow,
  baseline: ResultRow,
  target?: number,
): RatioRow {
  if (of.unit !== baseline.unit)
    throw new Error(`cannot compare ${of.id} (${of.unit}) with ${baseline.id} (${baseline.unit})`);
  const value = of.unit === 'ms' ? baseline.median / of.median : of.median / baseline.median;
  return {
    id,
    label,
    of: of.id,
    to: baseline.id,
    value,
    ...(target === undefined ? {} : { target, met: value >= target }),
  };
}

/** The columns after a result's label, filled by `valueCells`. */
const resultColumns = ['events', 'median', 'unit', 'min–max', 'client CPU'];

/** The results and ratios as an aligned plain-text table, for a terminal. */
export function formatTable(report: BenchReport): string {
  // `undefined` is a blank line; every other row shares one set of column widths.
  const rows: (string[] | undefined)[] = [];
  for (const [group, groupRows] of groupBy(report.results)) {
    rows.push(
      [group, ...resultColumns],
      ...groupRows.map((row) => [`  ${row.label}`, ...valueCells(row)]),
      undefined,
    );
  }
  const table = alignColumns(rows, [false, true, true, false, true, true]);
  const ratios = alignColumns(
    [
      ['ratio: speed against the baseline, same run', 'value', 'target', ''],
      ...report.ratios.map((ratio) => [`  ${ratio.label}`, ...ratioCells(ratio)]),
    ],
    [false, true, true, false],
  );
  const accuracy = report.accuracy === undefined ? [] : ['', ...accuracyTable(report.accuracy)];
  const extra = (report.tables ?? []).flatMap(({ title, columns, rows: tableRows }) => [
    '',
    ...alignColumns(
      [[title, ...columns], ...tableRows.map(([label = '', ...cells]) => [`  ${label}`, ...cells])],
      [false, ...columns.map(() => true)],
    ),
  ]);
  return `${[`${report.title} (${describeRun(report)})`, '', ...table, ...(report.ratios.length > 0 ? ratios : []), ...accuracy, ...extra].join('\n')}\n`;
}

/** The whole report as Markdown: results, ratios, notes and the machine it ran on. */
export function formatMarkdown(report: BenchReport): string {
  const lines = [`# ${report.title}`, '', `${describeRun(report)}; started ${report.startedAt}.`, ''];
  for (const [group, rows] of groupBy(report.results)) {
    lines.push(
      `## ${group}`,
      '',
      ...markdownTable(
        ['', ...resultColumns],
        rows.map((row) => [row.label, ...valueCells(row)]),
      ),
      '',
    );
  }
  if (report.ratios.length > 0) {
    lines.push(
      '## Ratios',
      '',
      'Speed against the baseline, medians of the same run: 1× is as fast, above 1× faster.',
      '',
      ...markdownTable(
        ['', 'value', 'target', ''],
        report.ratios.map((ratio) => [ratio.label, ...ratioCells(ratio)]),
      ),
      '',
    );
  }
  if (report.accuracy !== undefined) {
    const { title, rows, ratios } = report.accuracy;
    lines.push(
      `## Accuracy: ${title}`,
      '',
      ...markdownTable(
        ['', ...accuracyColumns],
        rows.map((row) => [row.label, ...accuracyCells(row)]),
      ),
      '',
      'Errors against the baseline: how many times smaller ours is (2× is half the error).',
      '',
      ...markdownTable(
        ['', 'value', 'target', ''],
        ratios.map((ratio) => [ratio.label, ...ratioCells(ratio)]),
      ),
      '',
    );
  }
  for (const { title, columns, rows } of report.tables ?? []) {
    lines.push(
      `## ${title}`,
      '',
      ...markdownTable(
        ['', ...columns],
        rows.map((row) => [...row]),
      ),
      '',
    );
  }
  if (report.notes.length > 0) lines.push('## Notes', '', ...report.notes.map((note) => `- ${note}`), '');
  lines.push(...machineAndSettingsSection(report.machine, report.settings));
  return lines.join('\n');
}

/** The Markdown section naming the machine, tool versions and a run's settings, one per row. */
export function machineAndSettingsSection(
  machine: MachineInfo,
  settings: Readonly<Record<string, string | number>>,
): string[] {
  return [
    '## Machine and settings',
    '',
    ...markdownTable(
      ['', ''],
      [
        ...Object.entries(machine).flatMap(([name, value]) =>
          typeof value === 'object'
            ? Object.entries(value).map(([sub, version]) => [sub, String(version)])
            : [[name, String(value)]],
        ),
        ...Object.entries(settings).map(([name, value]) => [name, String(value)]),
      ],
    ),
    '',
  ];
}

/** Writes `<suite>.json` and `<suite>.md` into `directory` (created if missing); resolves to their paths. */
export async function writeReport(
  report: BenchReport,
  directory: string,
): Promise<{ readonly json: string; readonly markdown: string }> {
  await mkdir(directory, { recursive: true });
  const json = join(directory, `${report.suite}.json`);
  const markdown = join(directory, `${report.suite}.md`);
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(markdown, formatMarkdown(report));
  return { json, markdown };
}

/** The columns of an accuracy row after its label, filled by `accuracyCells`. */
const accuracyColumns = ['intervals', 'median APE', 'p90 APE', 'mean APE', 'within 10 %'];

function accuracyTable({ title, rows, ratios }: AccuracySection): string[] {
  return alignColumns(
    [
      [`accuracy: ${title}`, ...accuracyColumns],
      ...rows.map((row) => [`  ${row.label}`, ...accuracyCells(row)]),
      undefined,
      ['error against the baseline: times smaller', 'value', 'target', ''],
      ...ratios.map((ratio) => [`  ${ratio.label}`, ...ratioCells(ratio)]),
    ],
    [false, true, true, true, true, true],
  );
}

function accuracyCells(row: AccuracyRow): string[] {
  return [
    formatCount(row.intervals),
    formatPercent(row.medianApe),
    formatPercent(row.p90Ape),
    formatPercent(row.meanApe),
    formatPercent(row.within10Percent),
  ];
}

function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}

function describeRun(report: BenchReport): string {
  const { machine } = report;
  const rounds = report.settings['rounds'];
  // Suites that measure accuracy on one simulated run (products) repeat nothing.
  const repeated =
    rounds === undefined ? [] : [Number(rounds) === 1 ? 'one round' : `medians of ${rounds} rounds`];
  const mode = report.mode === 'smoke' ? ['SMOKE RUN, numbers mean nothing'] : [];
  const software = Object.entries(machine.software).map(([name, version]) => `${name} ${version}`);
  return [
    ...(mode.length + repeated.length === 0 ? [] : [[...mode, ...repeated].join('; ')]),
    `${machine.cpus} × ${machine.cpuModel}`,
    `node ${machine.node}`,
    ...software,
  ].join(', ');
}

function groupBy(rows: readonly ResultRow[]): Map<string, ResultRow[]> {
  const groups = new Map<string, ResultRow[]>();
  for (const row of rows) groups.set(row.group, [...(groups.get(row.group) ?? []), row]);
  return groups;
}

function valueCells(row: ResultRow): string[] {
  const format = row.unit === 'ms' ? formatMilliseconds : formatCount;
  return [
    formatCount(row.events),
    format(row.median),
    row.unit,
    `${format(row.min)}–${format(row.max)}`,
    `${formatMicros(row.clientCpuMicrosPerEvent)} µs/${row.unit === 'samples/s' ? 'sample' : 'event'}`,
  ];
}

function ratioCells(ratio: RatioRow): string[] {
  const status = ratio.met === undefined ? '' : ratio.met ? 'met' : 'MISSED';
  return [
    formatRatio(ratio.value),
    ratio.target === undefined ? '' : `≥ ${formatRatio(ratio.target)}`,
    status,
  ];
}

function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function formatMilliseconds(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function formatMicros(value: number): string {
  return value >= 100 ? formatCount(value) : value.toFixed(1);
}

function formatRatio(value: number): string {
  return `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}×`;
}

/** Pads each column to its widest cell, `rightAligned[i]` for numeric columns; `undefined` rows become blank lines. */
export function alignColumns(
  rows: readonly (readonly string[] | undefined)[],
  rightAligned: readonly boolean[],
): string[] {
  const widths = rightAligned.map((_, column) =>
    Math.max(...rows.map((row) => (row?.[column] ?? '').length)),
  );
  return rows.map(
    (row) =>
      row
        ?.map((cell, column) =>
          rightAligned[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
        )
        .join('  ')
        .trimEnd() ?? '',
  );
}

export function markdownTable(header: readonly string[], rows: readonly string[][]): string[] {
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)];
}
