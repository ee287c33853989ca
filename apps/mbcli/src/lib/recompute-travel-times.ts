import { status, type ServiceError } from '@grpc/grpc-js';
import { query } from '@message-bus/proto';
import type { ProgressReport } from './display/progress-display';
import { ServiceCallError, type ServiceTarget } from './connection/service-error';

/** A recompute's progress as the query service reports it, in plain numbers. */
export interface RecomputeProgress {
  readonly destinations: number;
  readonly destinationsDone: number;
  /** Seconds of interval ends to recompute, summed over the destinations. */
  readonly spanSeconds: number;
  readonly spanSecondsDone: number;
  readonly done: boolean;
}

/**
 * How following a recompute ended: `done` (every destination finished), `submitted`
 * (stopped after the first report, as asked), `interrupted` (Ctrl-C). The workers go on
 * after the last two.
 */
export type RecomputeOutcome = 'done' | 'submitted' | 'interrupted';

export interface RecomputeFollowed {
  readonly outcome: RecomputeOutcome;
  /** The last report received; undefined only when interrupted before the first. */
  readonly last: RecomputeProgress | undefined;
}

export interface FollowOptions {
  /** Called with every report, in order. */
  readonly onProgress: (progress: RecomputeProgress) => void;
  /** Stop following once the ranges are recorded (the first report). */
  readonly stopAfterFirst: boolean;
  /** Aborting stops following (the operator's Ctrl-C). */
  readonly signal: AbortSignal;
}

/**
 * Calls RecomputeTravelTimes and follows its reports until the recompute is done, the
 * first report when `stopAfterFirst`, or `signal` aborts; cancelling the call stops only
 * the reports. A failed call rejects with a `ServiceCallError`.
 */
export function followRecompute(
  client: query.QueryServiceClient,
  target: ServiceTarget,
  request: query.RecomputeTravelTimesRequest,
  options: FollowOptions,
): Promise<RecomputeFollowed> {
  return new Promise((resolve, reject) => {
    const call = client.recomputeTravelTimes(request);
    let last: RecomputeProgress | undefined;
    let stoppedAs: RecomputeOutcome | undefined;
    const stop = (outcome: RecomputeOutcome) => {
      stoppedAs ??= outcome;
      call.cancel();
    };
    const onAbort = () => stop('interrupted');
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
    const settle = (settleWith: () => void) => {
      options.signal.removeEventListener('abort', onAbort);
      settleWith();
    };

    call.on('data', (message: query.RecomputeTravelTimesProgress) => {
      if (stoppedAs !== undefined) return;
      last = fromWire(message);
      options.onProgress(last);
      if (options.stopAfterFirst && !last.done) stop('submitted');
    });
    call.on('error', (error: ServiceError) => {
      settle(() => {
        if (error.code === status.CANCELLED && stoppedAs !== undefined) resolve({ outcome: stoppedAs, last });
        else reject(new ServiceCallError(target, error));
      });
    });
    call.on('end', () => {
      settle(() => {
        if (last?.done) resolve({ outcome: 'done', last });
        else if (stoppedAs !== undefined) resolve({ outcome: stoppedAs, last });
        else
          reject(
            new Error(`${target.service} service at ${target.host} ended the recompute before it was done`),
          );
      });
    });
  });
}

/** The bar's share and words, e.g. `25% 1 of 4 destinations, 2h of 8h`. */
export function recomputeReport(progress: RecomputeProgress): ProgressReport {
  const fraction = progress.spanSeconds === 0 ? 1 : progress.spanSecondsDone / progress.spanSeconds;
  return {
    fraction,
    text:
      `${Math.floor(fraction * 100)}% ${progress.destinationsDone} of ${progress.destinations} ` +
      `${plural(progress.destinations, 'destination')}, ` +
      `${formatSpan(progress.spanSecondsDone)} of ${formatSpan(progress.spanSeconds)}`,
  };
}

/** The summary line for how following ended. */
export function describeRecompute(followed: RecomputeFollowed, elapsedSeconds: number): string {
  const { last, outcome } = followed;
  const elapsed = `${elapsedSeconds.toFixed(1)}s`;
  if (last === undefined) return `stopped after ${elapsed} before the query service answered`;
  const destinations = `${last.destinations} ${plural(last.destinations, 'destination')}`;
  switch (outcome) {
    case 'done':
      return `recomputed ${destinations}, ${formatSpan(last.spanSeconds)} of intervals in all, in ${elapsed}`;
    case 'submitted':
      return `submitted: ${destinations}, ${formatSpan(last.spanSeconds)} of intervals in all; the travel-time workers recompute them in the background`;
    case 'interrupted':
      return (
        `stopped following after ${elapsed} at ${recomputeReport(last).text}; ` +
        'the travel-time workers finish the rest in the background'
      );
  }
}

/** A whole number of seconds for people: `45s`, `12m`, `2h`, `1h 30m`, `3d 4h`. */
export function formatSpan(seconds: number): string {
  const units: [number, string][] = [
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'm'],
    [1, 's'],
  ];
  if (seconds === 0) return '0s';
  const parts: string[] = [];
  let rest = seconds;
  for (const [size, unit] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    } else if (parts.length > 0) {
      break;
    }
  }
  return parts.join(' ');
}

function fromWire(message: query.RecomputeTravelTimesProgress): RecomputeProgress {
  return {
    destinations: Number(message.destinations),
    destinationsDone: Number(message.destinationsDone),
    spanSeconds: Number(message.spanSeconds),
    spanSecondsDone: Number(message.spanSecondsDone),
    done: message.done,
  };
}

function plural(count: number, noun: string): string {
  return count === 1 ? noun : `${noun}s`;
}
