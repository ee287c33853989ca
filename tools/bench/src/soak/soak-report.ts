import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { alignColumns, machineAndSettingsSection, markdownTable } from '../report';
import type { SoakReport } from './soak-run';
import type { Trend } from './trend';

const MEBIBYTE = 2 ** 20;

/** The summary for a terminal: rate, counts, and how RSS and lag behaved. */
export function formatSoakSummary(report: SoakReport): string {
  return `${[
    report.title,
    '',
    ...alignColumns(summaryRows(report), [false, true, false]),
    '',
    ...alignColumns(
      [['trend', ...trendColumns], ...trendRows(report).map(([label, ...cells]) => [`  ${label}`, ...cells])],
      [false, true, true, true, true],
    ),
  ].join('\n')}\n`;
}

/** Writes `soak.json` (every sample) and `soak.md` into `directory`; resolves to their paths. */
export async function writeSoakReport(
  report: SoakReport,
  directory: string,
): Promise<{ readonly json: string; readonly markdown: string }> {
  await mkdir(directory, { recursive: true });
  const json = join(directory, 'soak.json');
  const markdown = join(directory, 'soak.md');
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(markdown, formatSoakMarkdown(report));
  return { json, markdown };
}

export function formatSoakMarkdown(report: SoakReport): string {
  return [
    `# ${report.title}`,
    '',
    `Started ${report.startedAt}, took ${report.durationSeconds} s.`,
    '',
    '## Summary',
    '',
    ...markdownTable(['', 'value', ''], summaryRows(report)),
    '',
    '## Trends',
    '',
    ...markdownTable(['', ...trendColumns], trendRows(report)),
    '',
    '## Samples',
    '',
    ...markdownTable(
      [
        's',
        'RSS MB',
        'anon + file MB',
        'lag mean ms',
        'lag p99 ms',
        'lag max ms',
        'acknowledged',
        'call p99 ms',
        'estimates',
      ],
      report.samples.map((sample) => [
        sample.seconds.toFixed(0),
        (sample.rssBytes / MEBIBYTE).toFixed(0),
        `${(sample.rssAnonBytes / MEBIBYTE).toFixed(0)} + ${(sample.rssFileBytes / MEBIBYTE).toFixed(0)}`,
        sample.lagMeanMs.toFixed(1),
        sample.lagP99Ms.toFixed(1),
        sample.lagMaxMs.toFixed(1),
        sample.sightingsAcknowledged.toLocaleString('en-US'),
        sample.callP99Ms.toFixed(1),
        String(sample.estimatesWritten),
      ]),
    ),
    '',
    '## Notes',
    '',
    ...report.notes.map((note) => `- ${note}`),
    '',
    ...machineAndSettingsSection(report.machine, report.settings),
  ].join('\n');
}

function summaryRows(report: SoakReport): string[][] {
  const { counts, verdicts } = report;
  const rate = (value: number) => `${Math.round(value).toLocaleString('en-US')} sightings/s`;
  return [
    ...(report.probe === undefined
      ? []
      : [['maximum ingest rate (unpaced probe)', rate(report.probe.sightingsPerSecond), '']]),
    [
      'soak rate asked / achieved',
      `${rate(report.targetSightingsPerSecond)} / ${rate(report.achievedSightingsPerSecond)}`,
      '',
    ],
    [
      'call latency p50 / p99',
      `${report.callLatency.p50Ms.toFixed(1)} / ${report.callLatency.p99Ms.toFixed(1)} ms (${report.callLatency.calls.toLocaleString('en-US')} calls)`,
      '',
    ],
    [
      'sightings acknowledged / stored',
      `${counts.acknowledged.toLocaleString('en-US')} / ${counts.stored.toLocaleString('en-US')}${counts.failedCalls > 0 ? `, ${counts.failedCalls} calls failed (${counts.firstFailure ?? ''})` : ''}`,
      verdicts.countsEqual ? 'equal' : 'DIFFERENT',
    ],
    [
      'travel-time estimates written',
      report.estimatesWritten.toLocaleString('en-US'),
      verdicts.workerWrote ? 'worker ran' : 'NONE',
    ],
    [
      'RSS (all, with file-backed pages)',
      `median ${megabytes(report.rss.median)}, max ${megabytes(report.rss.max)}`,
      '',
    ],
    [
      'RSS, anonymous (floor after collections)',
      `median ${megabytes(report.rssAnon.median)}, max ${megabytes(report.rssAnon.max)}; floor ${megabytes(report.rssAnonFloor.median)}, ${(report.rssAnonFloor.secondHalfGrowth * 100).toFixed(1)} % over the second half`,
      verdicts.rssFlat ? 'flat' : 'GROWING',
    ],
    [
      'event-loop lag p99',
      `median ${report.lagP99.median.toFixed(1)} ms, max ${report.lagP99.max.toFixed(1)} ms`,
      verdicts.lagFlat ? 'flat' : 'GROWING',
    ],
  ];
}

const trendColumns = ['median', 'max', 'max/median', 'second-half slope', 'second-half growth'];

function trendRows(report: SoakReport): string[][] {
  const row = (label: string, trend: Trend, unit: string, scale: number) => [
    label,
    `${(trend.median / scale).toFixed(1)} ${unit}`,
    `${(trend.max / scale).toFixed(1)} ${unit}`,
    `${trend.maxOverMedian.toFixed(2)}×`,
    `${(trend.secondHalfSlopePerMinute / scale).toFixed(2)} ${unit}/min`,
    `${(trend.secondHalfGrowth * 100).toFixed(1)} %`,
  ];
  return [
    row('RSS (all)', report.rss, 'MB', MEBIBYTE),
    row('RSS, anonymous', report.rssAnon, 'MB', MEBIBYTE),
    row('RSS, anonymous floor (30 s)', report.rssAnonFloor, 'MB', MEBIBYTE),
    row('event-loop lag p99', report.lagP99, 'ms', 1),
    row('event-loop lag max', report.lagMax, 'ms', 1),
  ];
}

function megabytes(bytes: number): string {
  return `${(bytes / MEBIBYTE).toFixed(0)} MB`;
}
