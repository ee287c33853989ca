import type { Logger } from './logger';

export interface ShutdownStepOptions {
  /** How long this step may take before shutdown moves on; default: the coordinator's. */
  readonly timeoutMs?: number;
}

export interface ShutdownReport {
  readonly reason: string;
  /** Steps that threw or timed out; empty when the shutdown was clean. */
  readonly failedSteps: readonly string[];
}

/** The part of `process` that signal handling uses; apps pass `process` itself. */
export interface SignalTarget {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
  exit(code?: number): void;
}

export interface ShutdownCoordinatorOptions {
  readonly logger: Logger;
  /** Default per-step time limit (10 s). */
  readonly stepTimeoutMs?: number;
}

interface Step {
  readonly name: string;
  readonly run: () => Promise<void> | void;
  readonly timeoutMs: number;
}

/**
 * Runs the shutdown steps of a process once, in the order they were added, e.g.
 * health NOT_SERVING → stop gRPC (in-flight calls finish) → flush pending writes →
 * close the store. A step that fails or times out is logged and the next one still runs.
 */
export class ShutdownCoordinator {
  private readonly steps: Step[] = [];
  private running: Promise<ShutdownReport> | undefined;

  constructor(private readonly options: ShutdownCoordinatorOptions) {}

  /** Appends a step. Steps cannot be added once shutdown has started. */
  add(name: string, run: () => Promise<void> | void, options: ShutdownStepOptions = {}): this {
    if (this.running !== undefined) {
      throw new Error(`cannot add shutdown step ${name}: shutdown already started`);
    }
    this.steps.push({ name, run, timeoutMs: options.timeoutMs ?? this.options.stepTimeoutMs ?? 10_000 });
    return this;
  }

  get started(): boolean {
    return this.running !== undefined;
  }

  /** Runs every step once; later calls return the first call's result. */
  run(reason: string): Promise<ShutdownReport> {
    this.running ??= this.runSteps(reason);
    return this.running;
  }

  /**
   * On the first of these signals, runs the shutdown and then exits with 0 (clean)
   * or 1 (a step failed); a second signal exits with 1 at once. Returns a function
   * that removes the handlers.
   */
  onSignals(target: SignalTarget, signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): () => void {
    const handlers = signals.map((signal) => {
      const handler = (): void => {
        if (this.running === undefined) {
          this.options.logger.info({ signal }, 'signal received; shutting down');
          void this.run(signal).then((report) => target.exit(report.failedSteps.length === 0 ? 0 : 1));
        } else {
          this.options.logger.warn({ signal }, 'second signal during shutdown; exiting now');
          target.exit(1);
        }
      };
      target.on(signal, handler);
      return { signal, handler };
    });
    return () => {
      for (const { signal, handler } of handlers) {
        target.off(signal, handler);
      }
    };
  }

  private async runSteps(reason: string): Promise<ShutdownReport> {
    const { logger } = this.options;
    const failedSteps: string[] = [];
    logger.info({ reason, steps: this.steps.map((step) => step.name) }, 'shutdown started');
    for (const step of this.steps) {
      try {
        await withTimeout(step);
        logger.info({ step: step.name }, 'shutdown step done');
      } catch (error) {
        failedSteps.push(step.name);
        logger.error({ step: step.name, err: error }, 'shutdown step failed');
      }
    }
    logger.info(
      { reason, failedSteps },
      failedSteps.length === 0 ? 'shutdown complete' : 'shutdown finished with failures',
    );
    return { reason, failedSteps };
  }
}

async function withTimeout(step: Step): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${step.timeoutMs} ms`)), step.timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(step.run), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
