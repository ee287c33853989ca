/** One thing a benchmark measures, run once per round. */
export interface Trial {
  /** Names the trial in results and progress lines; e.g. `append.etcd.repository.batch-100`. */
  readonly id: string;
  /**
   * Builds one round's input outside the timed part and returns the work to time.
   * `round` counts every round including warm-ups, so each round can use fresh keys.
   */
  prepare(round: number): Promise<() => Promise<void>>;
}

export interface RoundsOptions {
  /** Rounds whose times are recorded; e.g. `3`. */
  readonly rounds: number;
  /** Rounds run first and discarded, so JIT compilation and connection set-up are not timed; e.g. `1`. */
  readonly warmupRounds: number;
  /** Called after each timed run; e.g. to print progress. */
  readonly onRun?: (
    run: TimedRun & { readonly trialId: string; readonly round: number; readonly warmup: boolean },
  ) => void;
}

/** What one timed run of a trial took. */
export interface TimedRun {
  /** Wall-clock seconds. */
  readonly seconds: number;
  /**
   * CPU seconds this process spent meanwhile (user + system, every thread): the
   * client's cost, which a busy machine distorts far less than wall-clock time.
   */
  readonly cpuSeconds: number;
}

/**
 * Runs every trial once per round and returns what each took in each recorded round.
 * Trials are interleaved and each round starts one trial later than the one before, so slow drift (a store's growing files, a noisy neighbour) falls on every
 * trial alike instead of on whichever ran last.
 */
export async function measureInterleaved(
  trials: readonly Trial[],
  options: RoundsOptions,
): Promise<Map<string, TimedRun[]>> {
  if (new Set(trials.map((trial) => trial.id)).size !== trials.length) {
    throw new Error(`trial ids must be unique: ${trials.map((trial) => trial.id).join(', ')}`);
  }
  const runs = new Map<string, TimedRun[]>(trials.map((trial) => [trial.id, []]));
  const totalRounds = options.warmupRounds + options.rounds;
  for (let round = 0; round < totalRounds; round += 1) {
    const warmup = round < options.warmupRounds;
    for (let offset = 0; offset < trials.length; offset += 1) {
      const trial = trials[(round + offset) % trials.length]!;
      const work = await trial.prepare(round);
      const cpuStarted = process.cpuUsage();
      const started = process.hrtime.bigint();
      await work();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const cpu = process.cpuUsage(cpuStarted);
      const run = { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
      if (!warmup) runs.get(trial.id)!.push(run);
      options.onRun?.({ trialId: trial.id, round, warmup, ...run });
    }
  }
  return runs;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
