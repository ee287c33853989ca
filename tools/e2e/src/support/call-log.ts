import { statusName } from './grpc-clients';

/** One call a test made, and how it went. */
export interface CallOutcome {
  /** What was called; e.g. `GetEvents`. */
  readonly name: string;
  /** Unix milliseconds when the call was made and when it ended. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** Why it failed (a gRPC status name, or a sentence); absent when it succeeded. */
  readonly failure?: string;
}

/** A stretch of time in which failures are expected (a fault and the election after it), in Unix ms. */
export interface FaultWindow {
  readonly from: number;
  readonly to: number;
}

/**
 * Every call a test makes through `record`, with when it ran and whether it failed, so
 * a test can tell failures during a fault (expected) from failures outside it (a bug).
 */
export class CallLog {
  private readonly outcomes: CallOutcome[] = [];
  private readonly waiters = new Set<() => void>();

  /** All calls recorded so far, in the order they ended. */
  get calls(): readonly CallOutcome[] {
    return this.outcomes;
  }

  /** Runs `call` and records it; a result that `isFailure` names (e.g. NOT_SERVING) counts as a failure. */
  async record<T>(
    name: string,
    call: () => Promise<T>,
    isFailure: (result: T) => string | undefined = () => undefined,
  ): Promise<T> {
    const startedAt = Date.now();
    try {
      const result = await call();
      const failure = isFailure(result);
      this.add({ name, startedAt, endedAt: Date.now(), ...(failure === undefined ? {} : { failure }) });
      return result;
    } catch (error) {
      this.add({ name, startedAt, endedAt: Date.now(), failure: describeFailure(error) });
      throw error;
    }
  }

  /** Failed calls that overlap none of `windows`: they failed while nothing was wrong. */
  failuresOutside(windows: readonly FaultWindow[]): CallOutcome[] {
    return this.outcomes.filter(
      (call) =>
        call.failure !== undefined &&
        !windows.some((window) => call.startedAt <= window.to && call.endedAt >= window.from),
    );
  }

  /**
   * Calls that failed within `window`. By when they failed, not when they ran: a long
   * stream started while one member was down and ended by a later fault (quorum lost)
   * failed in the later window, and counting it in both blamed the first fault for it.
   */
  failuresDuring(window: FaultWindow): CallOutcome[] {
    return this.outcomes.filter(
      (call) => call.failure !== undefined && call.endedAt >= window.from && call.endedAt <= window.to,
    );
  }

  /**
   * Resolves with the start of the first call named `name` that was made at or after
   * `sinceMs` and succeeded: from then on the system has settled. Rejects after `timeoutMs`.
   */
  async firstSuccess(name: string, sinceMs: number, timeoutMs = 30_000): Promise<number> {
    const found = () =>
      this.outcomes.find(
        (call) => call.name === name && call.startedAt >= sinceMs && call.failure === undefined,
      );
    const deadline = Date.now() + timeoutMs;
    for (let call = found(); ; call = found()) {
      if (call !== undefined) return call.startedAt;
      const remaining = deadline - Date.now();
      if (remaining <= 0)
        throw new Error(`no ${name} call made since ${sinceMs} succeeded within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => done(), remaining);
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        this.waiters.add(done);
      });
    }
  }

  private add(outcome: CallOutcome): void {
    this.outcomes.push(outcome);
    for (const wake of [...this.waiters]) wake();
  }
}

function describeFailure(error: unknown): string {
  const name = statusName(error);
  if (name !== 'not a gRPC error') return name;
  return error instanceof Error ? error.message : String(error);
}
