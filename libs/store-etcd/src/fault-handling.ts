import { GRPCUnavailableError, type IOptions } from 'etcd3';

type FaultHandling = NonNullable<IOptions['faultHandling']>;
type Policy = NonNullable<FaultHandling['global']>;
type Backoff = NonNullable<FaultHandling['watchBackoff']>;

/**
 * The etcd3 fault handling the backend uses unless told otherwise.
 *
 * etcd3's defaults do not fit a store behind a port: its per-host circuit breaker counts
 * NOSPACE (gRPC RESOURCE_EXHAUSTED) as a host failure, so a full etcd would also fail
 * every read for 5 s, and it keeps failing calls for 5 s after etcd is back; its watch
 * backoff grows to 30 s. Instead: no breaker, a few quick retries of UNAVAILABLE (each
 * retry may go to another host), and watch reconnects at most 2 s apart. Every call
 * also carries a deadline, so a retry never outlives it.
 */
export function defaultFaultHandling(hostCount: number): FaultHandling {
  return {
    host: () => passThrough,
    global: retryUnavailable(hostCount + 1),
    watchBackoff: cappedExponentialBackoff(100, 2_000),
  };
}

/** Policy events: nothing here listens to them. */
const noListeners = () => ({ dispose: () => undefined });

const passThrough: Policy = {
  _altReturn: undefined as never,
  onSuccess: noListeners,
  onFailure: noListeners,
  async execute(fn, signal) {
    return fn({ signal: signal ?? new AbortController().signal });
  },
};

const retryDelayMs = 100;

function retryUnavailable(maxAttempts: number): Policy {
  return {
    _altReturn: undefined as never,
    onSuccess: noListeners,
    onFailure: noListeners,
    async execute(fn, signal) {
      const context = { signal: signal ?? new AbortController().signal };
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn(context);
        } catch (error) {
          if (attempt >= maxAttempts || !isTransient(error)) throw error;
          await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
        }
      }
    },
  };
}

/** Unavailable (connection refused or lost, no leader) or etcd shedding load. */
function isTransient(error: unknown): boolean {
  return (
    error instanceof GRPCUnavailableError ||
    (error instanceof Error && error.message.includes('too many requests'))
  );
}

function cappedExponentialBackoff(initialMs: number, maxMs: number): Backoff {
  const step = (attempt: number): Backoff & { readonly duration: number } => ({
    duration: Math.min(maxMs, initialMs * 2 ** attempt),
    next: () => step(attempt + 1),
  });
  return { duration: 0, next: () => step(0) };
}
