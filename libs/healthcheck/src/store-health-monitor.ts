import type { Repository, StoreHealth } from '@message-bus/repository';
import type { Logger } from '@message-bus/server-kit';

export interface StoreHealthMonitorOptions {
  readonly logger: Logger;
  /** Time between the end of one probe and the start of the next, in ms; e.g. `1_000` (the default). */
  readonly intervalMs?: number;
  /**
   * A probe unanswered after this many ms counts as failed; e.g. `2_000` (the default).
   * An outage goes unnoticed for at most `failuresToUnreachable` × (interval + timeout):
   * 9 s by default.
   */
  readonly timeoutMs?: number;
  /**
   * Failed probes in a row that turn a reachable store unreachable; e.g. `3` (the
   * default, as Kubernetes' probes' failureThreshold). One slow answer on a loaded
   * machine (a garbage-collection pause, a busy etcd member) is not an outage: with one
   * alone, the service flapped to NOT_SERVING while its writes, with longer deadlines,
   * kept succeeding, and at 2 a CI run at load 5 still saw it flap once with one etcd
   * member of three down. A store not yet known reachable is judged on its first probe.
   */
  readonly failuresToUnreachable?: number;
}

export type StoreHealthListener = (health: StoreHealth) => void;

const DEFAULT_INTERVAL_MS = 1_000;
const DEFAULT_TIMEOUT_MS = 2_000;
const DEFAULT_FAILURES_TO_UNREACHABLE = 3;

/**
 * Asks the store whether it answers (`repository.health()`), once at `start()` and then
 * every `intervalMs`, and tells listeners when the answer changes. Each transition is
 * logged once with its reason: a warning when the store becomes unreachable, info when
 * it is back. Probes never overlap; a hung one is abandoned after `timeoutMs`.
 */
export class StoreHealthMonitor {
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly failuresToUnreachable: number;
  private readonly logger: Logger;
  private readonly listeners = new Set<StoreHealthListener>();
  private state: StoreHealth | undefined;
  /** Failed probes since the last answer that the store is reachable. */
  private failuresInARow = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly repository: Pick<Repository, 'health'>,
    options: StoreHealthMonitorOptions,
  ) {
    this.logger = options.logger;
    this.intervalMs = positiveMs(options.intervalMs ?? DEFAULT_INTERVAL_MS, 'intervalMs');
    this.timeoutMs = positiveMs(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
    this.failuresToUnreachable = positiveWhole(
      options.failuresToUnreachable ?? DEFAULT_FAILURES_TO_UNREACHABLE,
      'failuresToUnreachable',
    );
  }

  /** The last probe's answer; undefined before the first one completes. */
  get current(): StoreHealth | undefined {
    return this.state;
  }

  /** Calls `listener` on every change from now on; returns the function that unsubscribes it. */
  onChange(listener: StoreHealthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Probes now, then every `intervalMs` until `stop()`. Starting twice is harmless. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.probeAndReschedule();
  }

  /** Stops probing; the answer of a probe in flight is dropped. */
  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async probeAndReschedule(): Promise<void> {
    const health = await this.probe();
    if (!this.running) return;
    this.record(health);
    // unref: the monitor alone must not keep a process alive that has nothing else to do.
    this.timer = setTimeout(() => void this.probeAndReschedule(), this.intervalMs).unref();
  }

  private async probe(): Promise<StoreHealth> {
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<StoreHealth>((resolve) => {
      timeout = setTimeout(
        () =>
          resolve({
            reachable: false,
            reason: `the store did not answer a health probe within ${this.timeoutMs} ms`,
          }),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([this.askStore(), timedOut]);
    } finally {
      clearTimeout(timeout);
    }
  }

  /** `health()` promises never to throw; a broken adapter that does still reads as unreachable. */
  private async askStore(): Promise<StoreHealth> {
    try {
      return await this.repository.health();
    } catch (error) {
      return { reachable: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  private record(health: StoreHealth): void {
    this.failuresInARow = health.reachable ? 0 : this.failuresInARow + 1;
    const toleratedFailure =
      !health.reachable && this.state?.reachable && this.failuresInARow < this.failuresToUnreachable;
    if (toleratedFailure) return;
    const previous = this.state;
    this.state = health;
    if (previous !== undefined && condition(previous) === condition(health)) return;
    if (health.reachable && health.writesRefused !== undefined) {
      this.logger.warn(
        { store: 'refusing writes', reason: health.writesRefused },
        `store refuses writes: ${health.writesRefused}`,
      );
    } else if (health.reachable) {
      this.logger.info(
        { store: 'reachable' },
        previous === undefined
          ? 'store reachable'
          : previous.reachable
            ? 'store accepts writes again'
            : 'store reachable again',
      );
    } else {
      this.logger.warn(
        { store: 'unreachable', reason: health.reason },
        `store unreachable: ${health.reason}`,
      );
    }
    for (const listener of this.listeners) {
      // A listener that throws must not end the probing (nor, unhandled, the process).
      try {
        listener(health);
      } catch (error) {
        this.logger.error({ err: error }, 'store health listener failed');
      }
    }
  }
}

/** What a change of is logged and told for: reachable or not, and whether writes are refused. */
function condition(health: StoreHealth): 'unreachable' | 'refusing writes' | 'reachable' {
  if (!health.reachable) return 'unreachable';
  return health.writesRefused === undefined ? 'reachable' : 'refusing writes';
}

function positiveMs(value: number, name: string): number {
  return positiveWhole(value, name, ' of ms');
}

function positiveWhole(value: number, name: string, unit = ''): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `StoreHealthMonitorOptions.${name} must be a positive whole number${unit}, got ${value}`,
    );
  }
  return value;
}
