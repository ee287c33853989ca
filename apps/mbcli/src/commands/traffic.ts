import { nanosToTimestamp, timestampToNanos } from '@message-bus/domain';
import { Flags } from '@oclif/core';
import { type Empty, type Timestamp } from '@message-bus/proto';
import { simulate } from '@message-bus/simulation';
import { abortableWait } from '../lib/abortable-wait';
import { MbcliCommand } from '../lib/base-command';
import { durationFlag } from '../lib/flags/duration-flag';
import { instantFlag } from '../lib/flags/instant-flag';
import {
  collectorClient,
  collectorTarget,
  unaryCall,
  type ConnectionSettings,
} from '../lib/connection/grpc-connection';
import { InputError } from '../lib/input-error';
import { loadScenario } from '../lib/traffic/scenario-source';
import { registerScenario } from '../lib/traffic/scenario-setup';
import { sightingLog } from '../lib/traffic/sighting-log';
import { streamSightings, type StreamCounts } from '../lib/traffic/sighting-stream';
import { formatTimestamp } from '../lib/display/time-format';
import { delayUntil, trafficPlan } from '../lib/traffic/traffic-plan';

export interface TrafficSummary {
  readonly sent: number;
  /** As the collector acknowledged them (scenario mode; random mode sends bluetooth only, as the original). */
  readonly perKind: StreamCounts;
  readonly seconds: number;
  readonly perSecond: number;
}

const NANOS_PER_MILLI = 1_000_000n;

export default class Traffic extends MbcliCommand {
  static override summary = 'Send simulated traffic to the collector.';
  static override description =
    'Without --scenario, as the original: every --rate seconds one Bluetooth sighting of a random device ' +
    'from --device_ids at a random detector from --detector_ids, until --count or Ctrl-C.\n\n' +
    'With --scenario, the simulator drives a road (the built-in `corridor`, or a scenario JSON file): its detectors and links are registered, then its sightings are streamed through StreamEventLog, in real time, --speed times faster, or with --backfill as fast as the collector takes them.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> traffic --detector_ids xxx-1,xxx-2 --device_ids ddd-1,ddd-2 --rate 5',
    '<%= config.bin %> traffic --scenario corridor --speed 60',
    '<%= config.bin %> traffic --scenario corridor --backfill --duration 86400',
    '<%= config.bin %> traffic --scenario ./my-road.json --speed 600 --duration 3600 --json',
  ];
  static override flags = {
    detector_ids: Flags.string({
      description: 'detectors to simulate (comma-separated or repeated)',
      multiple: true,
      delimiter: ',',
      default: ['xxx-1', 'xxx-2', 'xxx-3'],
    }),
    device_ids: Flags.string({
      description: 'devices to simulate (comma-separated or repeated)',
      multiple: true,
      delimiter: ',',
      default: ['ddd-1', 'ddd-2', 'ddd-3'],
    }),
    rate: durationFlag({ description: 'time between random sightings, like 5s, 500ms or 1m', default: '5s' }),
    count: Flags.integer({ description: 'stop after this many random sightings', min: 1 }),
    scenario: Flags.string({ description: 'drive the simulator: `corridor` or a scenario JSON file' }),
    speed: Flags.string({
      description: 'with --scenario: simulated seconds per second (60 = a simulated minute per second)',
      default: '1',
    }),
    backfill: Flags.boolean({
      description: 'with --scenario: send a past period as fast as the collector takes it',
      default: false,
    }),
    duration: durationFlag({
      description: 'with --scenario: simulated time, like 6h or 2d (bare seconds too)',
      default: '1h',
    }),
    start: instantFlag({
      description:
        'with --scenario: first simulated instant (RFC 3339, Unix seconds or -1d); default: now, or the period ending now when faster than real time',
    }),
    seed: Flags.integer({
      description: 'with --scenario: random seed (same seed, same traffic)',
      default: 1,
    }),
  };

  async run(): Promise<TrafficSummary> {
    const { flags } = await this.parse(Traffic);
    const settings = this.connectionSettings(flags);
    const summary =
      flags.scenario === undefined
        ? await this.randomTraffic(settings, flags)
        : await this.scenarioTraffic(settings, flags.scenario, flags);
    const { perKind } = summary;
    this.log(
      `sent ${summary.sent} sightings in ${summary.seconds.toFixed(1)}s (${summary.perSecond.toFixed(1)}/s): ` +
        `wifi ${perKind.wifi}, bluetooth ${perKind.bluetooth}, mobile ${perKind.mobile}`,
    );
    return summary;
  }

  private async randomTraffic(
    settings: ConnectionSettings,
    flags: { detector_ids: string[]; device_ids: string[]; rate: number; count?: number | undefined },
  ): Promise<TrafficSummary> {
    const client = collectorClient(settings);
    const target = collectorTarget(settings);
    const stop = new AbortController();
    const onInterrupt = () => stop.abort();
    process.once('SIGINT', onInterrupt);
    const started = Date.now();
    let sent = 0;
    try {
      while (!stop.signal.aborted && (flags.count === undefined || sent < flags.count)) {
        await abortableWait(flags.rate * 1000, stop.signal);
        if (stop.signal.aborted) break;
        const detector = pick(flags.detector_ids);
        const time = BigInt(Date.now()) * NANOS_PER_MILLI;
        const log = sightingLog(detector, 'bluetooth', pick(flags.device_ids), time);
        await unaryCall<Empty>(target, (metadata, options, done) =>
          client.createEventLog(log, metadata, options, done),
        );
        sent += 1;
        // The device is left out: mbcli never prints a raw device identifier.
        this.log(`sighting at ${detector} ${formatTimestamp(nanosToTimestamp(time))}`);
      }
    } finally {
      process.removeListener('SIGINT', onInterrupt);
      client.close();
    }
    return summarise(sent, { wifi: 0, bluetooth: sent, mobile: 0 }, started);
  }

  private async scenarioTraffic(
    settings: ConnectionSettings,
    scenarioName: string,
    flags: { speed: string; backfill: boolean; duration: number; start?: Timestamp | undefined; seed: number },
  ): Promise<TrafficSummary> {
    const scenario = loadScenario(scenarioName);
    const plan = trafficPlan({
      start: flags.start === undefined ? undefined : timestampToNanos(flags.start),
      durationSeconds: flags.duration,
      speed: Number(flags.speed),
      backfill: flags.backfill,
      nowMillis: Date.now(),
    });
    const { sightings } = simulate(scenario, {
      seed: flags.seed,
      start: plan.start,
      durationSeconds: plan.durationSeconds,
    });
    const client = collectorClient(settings);
    const target = collectorTarget(settings);
    const stop = new AbortController();
    const onInterrupt = () => stop.abort();
    process.once('SIGINT', onInterrupt);
    const progress = new ProgressLine();
    try {
      const registered = await registerScenario(client, target, scenario);
      this.log(
        `${scenario.name}: ${registered.detectors} detectors and ${registered.links} links registered; ` +
          `sending ${sightings.length} sightings ${plan.speed === undefined ? 'as a backfill' : `at ${plan.speed}x`}`,
      );
      const started = Date.now();
      const perKind = await streamSightings(client, target, sightings, {
        delayBefore: (time) => delayUntil(plan, started, time, Date.now()),
        onProgress: ({ sent, total, time }) =>
          progress.show(`${sent}/${total} sightings, simulated ${formatTimestamp(nanosToTimestamp(time))}`),
        signal: stop.signal,
      });
      progress.clear();
      const sent = perKind.wifi + perKind.bluetooth + perKind.mobile;
      return summarise(sent, perKind, started);
    } finally {
      progress.clear();
      process.removeListener('SIGINT', onInterrupt);
      client.close();
    }
  }
}

function summarise(sent: number, perKind: StreamCounts, startedMillis: number): TrafficSummary {
  const seconds = (Date.now() - startedMillis) / 1000;
  return { sent, perKind, seconds, perSecond: seconds > 0 ? sent / seconds : sent };
}

function pick(values: readonly string[]): string {
  const value = values[Math.floor(Math.random() * values.length)];
  if (value === undefined) throw new InputError('the id list is empty; give at least one id');
  return value;
}

/** A self-overwriting status line on stderr, shown only to a person at a terminal, at most a few times a second. */
class ProgressLine {
  private readonly enabled = process.stderr.isTTY === true;
  private lastShown = 0;

  show(text: string): void {
    const now = Date.now();
    if (!this.enabled || now - this.lastShown < 250) return;
    this.lastShown = now;
    process.stderr.write(`\r\x1b[2K${text}`);
  }

  clear(): void {
    if (this.enabled && this.lastShown > 0) process.stderr.write('\r\x1b[2K');
    this.lastShown = 0;
  }
}
