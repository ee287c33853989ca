import { status } from '@grpc/grpc-js';
import { timestampToNanos } from '@message-bus/domain';
import { query } from '@message-bus/proto';
import { Flags } from '@oclif/core';
import { MbcliCommand } from '../../lib/base-command';
import { resolveLinkFlags } from '../../lib/export/export-travel-times';
import { queryClient, queryTarget } from '../../lib/connection/grpc-connection';
import { InputError } from '../../lib/input-error';
import { ProgressDisplay } from '../../lib/display/progress-display';
import {
  describeRecompute,
  followRecompute,
  recomputeReport,
  type RecomputeOutcome,
  type RecomputeProgress,
} from '../../lib/recompute-travel-times';
import { ServiceCallError, type ServiceTarget } from '../../lib/connection/service-error';
import { exactTime, formatTimestamp } from '../../lib/display/time-format';
import { instantFlag } from '../../lib/flags/instant-flag';

/** The last progress report (its figures null when interrupted before the first) and the range, exact. */
export type RecomputeResult = { readonly [Field in keyof RecomputeProgress]: RecomputeProgress[Field] | null } & {
  readonly outcome: RecomputeOutcome;
  readonly after: string;
  readonly afterUnixNanos: string;
  readonly before: string;
  readonly beforeUnixNanos: string;
  readonly elapsedSeconds: number;
};

export default class TravelTimesRecompute extends MbcliCommand {
  static override summary =
    'Have the travel-time workers estimate a range again, with progress (RecomputeTravelTimes).';
  static override description =
    'Recomputes the estimates whose interval ends at or after --after and before --before: of every link, ' +
    'of one --link, or of every link into --dest. Safe while the workers run, and asking again simply redoes ' +
    'the work. The range must lie within the raw-sighting retention (the servers’ --retention, 168h by ' +
    'default): older sightings are gone. A progress bar shows on stderr until the workers are done, then a ' +
    'summary; --no-wait returns once the request is recorded, and Ctrl-C stops waiting. Either way the ' +
    'workers go on.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> traveltimes recompute --after 2026-01-30T00:00:00Z --before 2026-01-31T00:00:00Z',
    '<%= config.bin %> traveltimes recompute --link a1:b1 --after 2026-01-30T06:00:00Z --before 2026-01-30T10:00:00Z',
    '<%= config.bin %> traveltimes recompute --dest b1 --after 1769752800 --before 1769767200 --no-wait',
  ];
  static override flags = {
    after: instantFlag({
      description: 'oldest interval end to recompute (RFC 3339, Unix seconds or -1h), inclusive',
      required: true,
    }),
    before: instantFlag({
      description: 'interval end to recompute up to (RFC 3339, Unix seconds or -1h), exclusive',
      required: true,
    }),
    link: Flags.string({
      description: 'only this link, as SOURCE:DESTINATION detector ids',
      exclusive: ['dest'],
    }),
    dest: Flags.string({ description: 'only the links into this destination detector', exclusive: ['link'] }),
    wait: Flags.boolean({
      description: 'wait for the workers to finish, showing progress (--no-wait: return once recorded)',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<RecomputeResult> {
    const { flags } = await this.parse(TravelTimesRecompute);
    const { after, before } = flags;
    if (timestampToNanos(after) >= timestampToNanos(before)) {
      throw new InputError(
        `--after ${formatTimestamp(after)} is not before --before ${formatTimestamp(before)}; ` +
          'the range runs from --after (inclusive) to --before (exclusive)',
      );
    }
    if (flags.dest?.trim() === '') throw new InputError('--dest is empty; give a destination detector id');
    const settings = this.connectionSettings(flags);
    const target = queryTarget(settings);
    const client = queryClient(settings);
    const interrupt = new AbortController();
    const onInterrupt = () => interrupt.abort();
    process.once('SIGINT', onInterrupt);
    const progress = new ProgressDisplay('recompute');
    const started = Date.now();
    try {
      const links = await this.selector(client, target, flags);
      const followed = await followRecompute(
        client,
        target,
        query.RecomputeTravelTimesRequest.fromPartial({ links, range: { after, before } }),
        {
          onProgress: (report) => progress.show(recomputeReport(report)),
          stopAfterFirst: !flags.wait,
          signal: interrupt.signal,
        },
      );
      progress.clear();
      const elapsedSeconds = (Date.now() - started) / 1000;
      if (!this.jsonEnabled()) this.log(describeRecompute(followed, elapsedSeconds));
      const last = followed.last;
      const [afterTime, beforeTime] = [exactTime(after), exactTime(before)];
      return {
        destinations: last?.destinations ?? null,
        destinationsDone: last?.destinationsDone ?? null,
        spanSeconds: last?.spanSeconds ?? null,
        spanSecondsDone: last?.spanSecondsDone ?? null,
        done: last?.done ?? null,
        outcome: followed.outcome,
        after: afterTime.rfc3339,
        afterUnixNanos: afterTime.unixNanos,
        before: beforeTime.rfc3339,
        beforeUnixNanos: beforeTime.unixNanos,
        elapsedSeconds,
      };
    } catch (error) {
      progress.clear();
      throw refusal(error, this.config.bin);
    } finally {
      process.removeListener('SIGINT', onInterrupt);
      client.close();
    }
  }

  /** The wire selector of the flags: one link, a destination, or every link. */
  private async selector(
    client: query.QueryServiceClient,
    target: ServiceTarget,
    flags: { link?: string | undefined; dest?: string | undefined },
  ): Promise<query.LinkSelector> {
    if (flags.link !== undefined) {
      const [link] = await resolveLinkFlags(client, target, [flags.link]);
      return {
        selector: {
          $case: 'link',
          value: { sourceDetectorId: link!.source, destDetectorId: link!.destination },
        },
      };
    }
    if (flags.dest !== undefined) return { selector: { $case: 'destDetectorId', value: flags.dest } };
    return { selector: { $case: 'all', value: true } };
  }
}

/**
 * The server's refusals said in the command's terms: nothing to recompute (NOT_FOUND)
 * points at the links; a range outside the retained time (OUT_OF_RANGE) passes on the
 * server's sentence, which names the retention and the oldest time allowed, with the
 * flag in place of the wire field.
 */
function refusal(error: unknown, bin: string): unknown {
  if (!(error instanceof ServiceCallError)) return error;
  const details = error.cause.details;
  switch (error.cause.code) {
    case status.NOT_FOUND: {
      const reason = details.replace(/^links\.[a-z_.]+: /, '').replace(/; ListLinks .*$/, '');
      return new InputError(`nothing to recompute: ${reason}; see \`${bin} links list\``);
    }
    case status.OUT_OF_RANGE:
      return new InputError(
        `cannot recompute that range: ${details.replace(/^range\.(after|before): /, '--$1 ')}`,
      );
    default:
      return error;
  }
}
