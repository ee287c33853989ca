import { cpus } from 'node:os';
import { TARGETS, type StarvationResult } from './starvation-run';

export interface StarvationRow {
  readonly measure: string;
  readonly value: string;
  readonly target: string;
  /** Undefined for a row shown for context, without a target. */
  readonly met: boolean | undefined;
}

/** One row per target of issue 16, item 2, with the measured value and whether it was met. */
export function starvationRows(result: StarvationResult): StarvationRow[] {
  const ms = (value: number) => `${Math.round(value)} ms`;
  return [
    {
      measure: 'health Check p99 (p50, max)',
      value: `${ms(result.healthP99Ms)} (${ms(result.healthP50Ms)}, ${ms(result.healthMaxMs)})`,
      target: `≤ ${TARGETS.healthP99Ms} ms`,
      met: result.healthP99Ms <= TARGETS.healthP99Ms,
    },
    {
      measure: 'CreateEventLog p99 (p50, max)',
      value: `${ms(result.ingestP99Ms)} (${ms(result.ingestP50Ms)}, ${ms(result.ingestMaxMs)})`,
      target: `≤ ${TARGETS.ingestP99Ms} ms`,
      met: result.ingestP99Ms <= TARGETS.ingestP99Ms,
    },
    {
      measure: 'server event-loop delay p99 (max), its own measure',
      value:
        result.serverLoopDelay === undefined
          ? 'not read'
          : `${ms(result.serverLoopDelay.p99Ms)} (${ms(result.serverLoopDelay.maxMs)})`,
      target: '—',
      met: undefined,
    },
    {
      measure: 'server CPU idle after the burst',
      value:
        result.idleAfterSeconds === undefined
          ? `not within ${result.sizes.idleWaitCapMs / 1000} s`
          : `${result.idleAfterSeconds.toFixed(1)} s`,
      target: `≤ ${TARGETS.idleWithinSeconds} s`,
      met: result.idleAfterSeconds !== undefined && result.idleAfterSeconds <= TARGETS.idleWithinSeconds,
    },
    {
      measure: 'SIGTERM to exit (exit code)',
      value:
        result.exitSeconds === undefined
          ? 'no exit within 60 s (SIGKILLed)'
          : `${result.exitSeconds.toFixed(1)} s (${result.exitCode})`,
      target: `≤ ${TARGETS.exitWithinSeconds} s, code 0`,
      met:
        result.exitSeconds !== undefined &&
        result.exitSeconds <= TARGETS.exitWithinSeconds &&
        result.exitCode === 0,
    },
  ];
}

/** The rows as a Markdown table, with what the burst was and how its calls ended. */
export function formatStarvationTable(rows: readonly StarvationRow[], result: StarvationResult): string {
  const { sizes } = result;
  const lines = [
    `Starvation: ${sizes.streams} StreamEvents (limit 100,000) opened and cancelled within ${sizes.burstMs / 1000} s ` +
      `over ${sizes.streamConnections} connections, plus ${sizes.bigGetEvents} GetEvents (limit 100,000), on ` +
      `${sizes.detectors} detectors × ${sizes.sightingsPerDetector} sightings; health and CreateEventLog probed ` +
      `every 50 ms (${result.probes.healthMs.length} each, ${result.probes.failures} failed).`,
    '',
    `StreamEvents ended: ${JSON.stringify(result.streamOutcomes)}; GetEvents: ${JSON.stringify(result.getEventsOutcomes)}; ` +
      `machine load average ${result.loadAverage.before.toFixed(1)} before, ${result.loadAverage.after.toFixed(1)} after ` +
      `(${cpus().length} cores).`,
    '',
    '| measure | value | target | met |',
    '| --- | --- | --- | --- |',
    ...rows.map(
      (row) =>
        `| ${row.measure} | ${row.value} | ${row.target} | ${row.met === undefined ? '—' : row.met ? 'met' : 'missed'} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
