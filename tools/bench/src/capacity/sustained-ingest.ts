import { readdirSync, readFileSync } from 'node:fs';
import type { AppProcess } from '@message-bus/tools/app-process';
import type { LoadGeneratorProcess } from '../e2e/load-generator-process';
import type { SightingPlan } from '../e2e/sighting-logs';
import type { TimedRun, Trial } from '../measure';

/** What one round of a contender did. */
export interface IngestRound {
  readonly sightings: number;
  readonly seconds: number;
  /** CPU seconds of whoever sent the sightings (the load generator, or this process for raw clients). */
  readonly clientCpuSeconds: number;
  /** CPU seconds of the server under test meanwhile; `undefined` for raw clients, which have none. */
  readonly serverCpuSeconds: number | undefined;
}

/** One thing whose sustained ingest is measured: a round at a time, each round new keys. */
export interface IngestContender {
  /** Stable key; e.g. `cluster.cqserver.stream-100`. */
  readonly id: string;
  readonly label: string;
  /** Sightings per round; e.g. `100_000`. */
  readonly sightingsPerRound: number;
  runRound(round: number): Promise<IngestRound>;
}

/** A contender's recorded rounds. */
export interface SustainedIngest {
  readonly contender: IngestContender;
  readonly rounds: readonly IngestRound[];
}

/** Totals of recorded rounds: sightings over their summed time, the sustained rate. */
export function sustainedRate(rounds: readonly IngestRound[]): number {
  const sightings = rounds.reduce((total, round) => total + round.sightings, 0);
  const seconds = rounds.reduce((total, round) => total + round.seconds, 0);
  return sightings / seconds;
}

/** The server's CPU per sighting over the recorded rounds, in microseconds; `undefined` for raw clients. */
export function serverCpuMicrosPerSighting(rounds: readonly IngestRound[]): number | undefined {
  if (rounds.some((round) => round.serverCpuSeconds === undefined)) return undefined;
  const cpu = rounds.reduce((total, round) => total + round.serverCpuSeconds!, 0);
  const sightings = rounds.reduce((total, round) => total + round.sightings, 0);
  return (cpu * 1e6) / sightings;
}

/** The rounds as the report's timed runs, the client's CPU as the row's CPU column. */
export function timedRuns(rounds: readonly IngestRound[]): TimedRun[] {
  return rounds.map((round) => ({ seconds: round.seconds, cpuSeconds: round.clientCpuSeconds }));
}

export interface SustainOptions {
  /** Each contender keeps going until its recorded rounds add up to this many seconds; e.g. `20`. */
  readonly targetSeconds: number;
  /** Rounds of each contender run first and discarded (JIT, connections, etcd's first allocations). */
  readonly warmupRounds: number;
  /** Never more recorded rounds than this, however slow; e.g. `50`. */
  readonly maxRounds: number;
  readonly log: (line: string) => void;
}

/**
 * Runs the contenders' rounds interleaved (each round starting one contender later),
 * until each has recorded at least `targetSeconds` (and at least one round), so drift and
 * a noisy neighbour fall on every contender alike.
 */
export async function sustainIngest(
  contenders: readonly IngestContender[],
  options: SustainOptions,
): Promise<SustainedIngest[]> {
  const recorded = contenders.map((contender) => ({ contender, rounds: [] as IngestRound[] }));
  const busySeconds = (rounds: readonly IngestRound[]) => rounds.reduce((total, r) => total + r.seconds, 0);
  const unfinished = () =>
    recorded.filter(
      ({ rounds }) =>
        rounds.length === 0 ||
        (busySeconds(rounds) < options.targetSeconds && rounds.length < options.maxRounds),
    );
  for (let round = 0; round < options.warmupRounds || unfinished().length > 0; round += 1) {
    const warmup = round < options.warmupRounds;
    const due = warmup ? recorded : unfinished();
    for (let turn = 0; turn < due.length; turn += 1) {
      const entry = due[(round + turn) % due.length]!;
      const outcome = await entry.contender.runRound(round);
      const rate = Math.round(outcome.sightings / outcome.seconds).toLocaleString('en-US');
      options.log(`  ${entry.contender.label}${warmup ? ' (warm-up)' : ''}: ${rate} sightings/s`);
      if (!warmup) entry.rounds.push(outcome);
    }
  }
  return recorded;
}

/**
 * cqserver fed by the e2e suite's load generator process, one job a round, its CPU
 * read from /proc around the job. `shape` builds the round's job from a plan of new
 * detectors; `sent` counts what it acknowledged, for the stored-count check.
 */
export function cqserverContender(spec: {
  readonly id: string;
  readonly label: string;
  readonly server: AppProcess;
  readonly loadGenerator: LoadGeneratorProcess;
  readonly sightingsPerRound: number;
  /** Six characters naming the shape in detector ids, so every shape's keys have one length; e.g. `stream`. */
  readonly code: string;
  readonly hourStartSeconds: number;
  readonly stream: boolean;
  readonly onAcknowledged: (sightings: number) => void;
}): IngestContender {
  const pid = spec.server.pid!;
  const collector = spec.server.address('collector');
  return {
    id: spec.id,
    label: spec.label,
    sightingsPerRound: spec.sightingsPerRound,
    async runRound(round) {
      const plan: SightingPlan = {
        detectorPrefix: `cap-${spec.code}-r${String(round).padStart(3, '0')}`,
        sightings: spec.sightingsPerRound,
        sightingsPerLog: 100,
        hourStartSeconds: spec.hourStartSeconds,
      };
      const cpuBefore = processTreeCpuSeconds(pid);
      const result = await spec.loadGenerator.run(
        spec.stream
          ? { kind: 'stream', collector, plan, logsPerStream: 100 }
          : { kind: 'unary', collector, plan, concurrency: 8 },
      );
      const serverCpuSeconds = processTreeCpuSeconds(pid) - cpuBefore;
      spec.onAcknowledged(result.sightings);
      return {
        sightings: result.sightings,
        seconds: result.seconds,
        clientCpuSeconds: result.cpuSeconds,
        serverCpuSeconds,
      };
    },
  };
}

/** A raw client's trial of the store suite (built untimed by `prepare`), one run a round. */
export function rawTrialContender(spec: {
  readonly id: string;
  readonly label: string;
  readonly trial: Trial;
  readonly sightingsPerRound: number;
}): IngestContender {
  return {
    id: spec.id,
    label: spec.label,
    sightingsPerRound: spec.sightingsPerRound,
    async runRound(round) {
      const run = await spec.trial.prepare(round);
      const cpuBefore = process.cpuUsage();
      const started = process.hrtime.bigint();
      await run();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const cpu = process.cpuUsage(cpuBefore);
      return {
        sightings: spec.sightingsPerRound,
        seconds,
        clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
        serverCpuSeconds: undefined,
      };
    },
  };
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times (`getconf CLK_TCK`, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) used so far by `root` and every process under it, from
 * /proc: a server serving from worker processes spends its CPU there, not in the
 * process it was started as. Children already exited and reaped count through the
 * parent's cutime and cstime.
 */
export function processTreeCpuSeconds(root: number): number {
  const processes = new Map<number, { readonly parent: number; readonly ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((total, field) => total + Number(fields[field]), 0);
    processes.set(Number(entry), { parent: Number(fields[1]), ticks });
  }
  const inTree = (pid: number): boolean => {
    for (let current: number | undefined = pid; current !== undefined && current > 1;) {
      if (current === root) return true;
      current = processes.get(current)?.parent;
    }
    return false;
  };
  let ticks = 0;
  for (const [pid, { ticks: own }] of processes) if (inTree(pid)) ticks += own;
  return ticks / CLOCK_TICKS_PER_SECOND;
}
