// The congestion-alert lab's entry: `node tools/bench/run.mjs products --lab [--trace <target>]`.
// Prints the congestion-alert figures of the products bench's plan computed in memory
// (see congestion-lab.ts) and what the data allows at best (the oracle), in a few minutes.
import { parseArgs } from 'node:util';
import { resolveCongestionAlertRule, resolveEstimatorConfig, type UnixNanos } from '@message-bus/domain';
import { runCongestionLab, type LabResult } from './congestion-lab';
import { MINUTE } from './products-workload';

function main(): void {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      trace: { type: 'string', multiple: true, default: [] },
      'history-step': { type: 'string', default: '1' },
      'min-valid': { type: 'string' },
      'estimator-min-valid': { type: 'string' },
      'raise-intervals': { type: 'string' },
      'detected-share': { type: 'string' },
    },
    strict: true,
  });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const rule = resolveCongestionAlertRule({
    ...(values['min-valid'] === undefined ? {} : { minValidSamples: Number(values['min-valid']) }),
    ...(values['raise-intervals'] === undefined ? {} : { raiseIntervals: Number(values['raise-intervals']) }),
  });
  // An estimate under the estimator's minValidSamples is never `ok`, so the rule's alone changes nothing.
  const estimatorConfig = resolveEstimatorConfig(
    values['estimator-min-valid'] === undefined
      ? {}
      : { minValidSamples: Number(values['estimator-min-valid']) },
  );
  const result = runCongestionLab({
    log,
    rule,
    estimatorConfig,
    historyStepMinutes: Number(values['history-step']),
    ...(values['detected-share'] === undefined ? {} : { detectedShare: Number(values['detected-share']) }),
  });
  process.stdout.write(formatResult(result));
  for (const target of values.trace) process.stdout.write(formatTrace(result, target));
}

function formatResult({ score, oracle }: LabResult): string {
  const lines = [
    `precision ${score.precision.toFixed(3)} (${score.truePositives}/${score.alerts}), ` +
      `recall ${score.recall.toFixed(3)} (${score.detected}/${score.congested}), ` +
      `median delay ${minutes(score.medianDelayMinutes)} (max ${minutes(score.maxDelayMinutes)}), ` +
      `one alert per incident ${(score.singleAlertShare * 100).toFixed(1)} %`,
    '',
    'target | true 1.5x from | delay | alerts | oracle: 1st, 3rd undisturbed trip after (min)',
  ];
  score.pairs.forEach((pair, index) => {
    const row = oracle[index];
    const after = (k: number) => {
      const arrival = row?.arrivals[k - 1];
      return arrival === undefined ? 'none' : minutes(minutesAfter(pair.from, roundAfter(arrival)));
    };
    lines.push(
      `${pair.target} | ${iso(pair.from)} | ${minutes(pair.delayMinutes)} | ${pair.alerts} | ${after(1)}, ${after(3)}`,
    );
  });
  for (const wrong of score.wrong) lines.push(`wrong: ${wrong.target} from ${iso(wrong.start)}`);
  lines.push('', 'oracle (an alert at the k-th undisturbed detected trip of the true 1.5x span):');
  for (const k of [1, 2, 3]) {
    const delays = score.pairs.flatMap((pair, index) => {
      const arrival = oracle[index]?.arrivals[k - 1];
      return arrival === undefined ? [] : [minutesAfter(pair.from, roundAfter(arrival))];
    });
    lines.push(
      `  k=${k}: recall ${(delays.length / Math.max(1, score.pairs.length)).toFixed(3)} (${delays.length}/${score.pairs.length}), ` +
        `median delay ${minutes(median(delays))}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The target's live estimates around each of its truly congested spans. */
function formatTrace(result: LabResult, target: string): string {
  const estimates = result.estimates.get(target) ?? [];
  const lines = [``, `trace ${target}`];
  const spans = [
    ...result.score.pairs
      .filter((candidate) => candidate.target === target)
      .map((pair) => ({
        title: `span from ${iso(pair.from)} (onset ${iso(pair.onset)})`,
        from: pair.onset - 10n * MINUTE,
        until: pair.from + 40n * MINUTE,
      })),
    ...result.score.wrong
      .filter((candidate) => candidate.target === target)
      .map((wrong) => ({
        title: `wrong alert from ${iso(wrong.start)}`,
        from: wrong.start - 20n * MINUTE,
        until: wrong.start + 10n * MINUTE,
      })),
  ];
  for (const span of spans) {
    lines.push(`  ${span.title}`);
    if (target.startsWith('link:')) {
      const [source, destination] = target.slice('link:'.length).split('>') as [string, string];
      const samples = result.samplesOf(source, destination, span.until);
      lines.push(
        `    samples: ${samples
          .filter((sample) => sample.destinationTime >= span.from - 30n * MINUTE)
          .map((sample) => `${iso(sample.destinationTime).slice(6)} ${sample.travelSeconds.toFixed(0)}`)
          .join(', ')}`,
      );
    }
    for (const estimate of estimates) {
      if (estimate.intervalEnd < span.from || estimate.intervalEnd > span.until) continue;
      lines.push(
        `    ${iso(estimate.intervalEnd)} ${estimate.status.padEnd(17)} ${String(estimate.validSamples).padStart(2)}/${String(estimate.totalSamples).padEnd(2)} ` +
          `median ${estimate.medianSeconds?.toFixed(0) ?? '-'} typical ${estimate.typicalSeconds?.toFixed(0) ?? '-'} ratio ${estimate.ratioToTypical?.toFixed(2) ?? '-'} ${estimate.routeMethod ?? ''}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The bench's round that first sees a trip arriving at `at`: the next interval end, plus the lag. */
function roundAfter(at: UnixNanos): UnixNanos {
  return at - (at % MINUTE) + MINUTE + 30_000_000_000n;
}

function minutesAfter(from: UnixNanos, to: UnixNanos): number {
  return Number(to - from) / Number(MINUTE);
}

function median(values: readonly number[]): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? undefined : sorted[Math.ceil(0.5 * sorted.length) - 1];
}

function iso(at: UnixNanos): string {
  return new Date(Number(at / 1_000_000n)).toISOString().slice(5, 16).replace('T', ' ');
}

function minutes(value: number | undefined): string {
  return value === undefined ? 'none' : `${value.toFixed(1)} min`;
}

main();
