import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  noJitterGenerator,
  noop,
  retry,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import { castGrpcError, GRPCUnavailableError, type IOptions } from 'etcd3';

type FaultHandling = NonNullable<IOptions['faultHandling']>;

/** An endpoint's circuit: `closed` takes calls, `open` is skipped, `half-open` is being probed. */
export type EndpointState = 'closed' | 'open' | 'half-open';

/** Told each time an endpoint's circuit changes state. */
export type EndpointStateListener = (endpoint: string, state: EndpointState) => void;

/** Circuit opens after this many connection failures in a row: one refused connect says enough. */
const FAILURES_TO_OPEN = 1;
/** First wait before an open endpoint is probed; doubles while probes fail. */
const FIRST_PROBE_AFTER_MS = 500;
/** Longest wait between probes of an endpoint that stays down. */
const MAX_PROBE_AFTER_MS = 5_000;
/** First retry comes soon (it usually goes to another endpoint); later ones back off. */
const FIRST_RETRY_DELAY_MS = 25;
const MAX_RETRY_DELAY_MS = 1_000;
/** A watch stream reconnects at most this far apart (etcd3's default grows to 30 s). */
const WATCH_FIRST_RECONNECT_MS = 100;
const WATCH_MAX_RECONNECT_MS = 2_000;

/**
 * The etcd3 fault handling of a backend: which endpoint a call may go to, and when a
 * failed call is sent again.
 *
 * - Per endpoint, a cockatiel circuit breaker that counts only failures to reach that
 *   endpoint (see `isConnectionFailure`). etcd3's connection pool skips an endpoint whose
 *   circuit is open, so calls go to the members that answer; after a wait (growing while
 *   probes fail) one call probes the endpoint, and its success closes the circuit again.
 *   etcd3's default breaker is not used: it also counts NOSPACE, cancelled calls and
 *   deadlines, so a full or slow etcd would fail reads too. With a single endpoint there
 *   is nowhere else to go, so it gets no breaker: calls reach etcd the moment it is back.
 * - For the whole call, a cockatiel retry of transient failures (see `isTransient`),
 *   each retry taking the next endpoint whose circuit admits it. Retries back off
 *   exponentially and stop once their delays would pass the call's deadline
 *   (`callTimeoutMs`); any attempt after the deadline fails at once, and is not retried.
 * - A watch stream reconnects at most 2 s apart, to an endpoint whose circuit admits it.
 */
export class EtcdFaultHandling {
  readonly policies: FaultHandling;
  private readonly breakers = new Map<string, CircuitBreakerPolicy>();

  /**
   * @param endpoints the client's hosts, as given to etcd3 (they name the circuits)
   * @param callTimeoutMs the deadline of one call, retries included
   * @param onEndpointState told of every circuit's state change
   */
  constructor(
    endpoints: readonly string[],
    callTimeoutMs: number,
    private readonly onEndpointState: EndpointStateListener = () => undefined,
  ) {
    this.policies = {
      host: (endpoint) => (endpoints.length > 1 ? this.breakerFor(endpoint) : noop),
      global: retry(handleWhen(isTransient), {
        maxAttempts: retriesWithin(callTimeoutMs),
        backoff: retryBackoff(),
      }),
      // The one adapter: etcd3 types this as a backoff step (`IBackoff`, with `duration`)
      // but only calls `next()` on it, as on a factory. A cockatiel factory has no
      // `duration`, so its first step is given: the watch waits the steps after it,
      // and starts again from it once events flow again.
      watchBackoff: new ExponentialBackoff({
        initialDelay: WATCH_FIRST_RECONNECT_MS,
        maxDelay: WATCH_MAX_RECONNECT_MS,
      }).next(),
    };
  }

  /** Each endpoint's circuit now; empty with a single endpoint, which has none. */
  endpointStates(): ReadonlyMap<string, EndpointState> {
    return new Map([...this.breakers].map(([endpoint, breaker]) => [endpoint, stateName(breaker.state)]));
  }

  private breakerFor(endpoint: string): IPolicy {
    const breaker = circuitBreaker(handleWhen(isConnectionFailure), {
      breaker: new ConsecutiveBreaker(FAILURES_TO_OPEN),
      halfOpenAfter: new ExponentialBackoff({
        generator: noJitterGenerator,
        initialDelay: FIRST_PROBE_AFTER_MS,
        maxDelay: MAX_PROBE_AFTER_MS,
      }),
    });
    breaker.onStateChange((state) => this.onEndpointState(endpoint, stateName(state)));
    this.breakers.set(endpoint, breaker);
    return breaker;
  }
}

/**
 * The endpoint did not answer: the connection was refused, dropped or never made, or the
 * member is shutting down. etcd's own refusals (NOSPACE, invalid or too large requests,
 * failed preconditions, no leader during an election) come from a member that answers,
 * so they say nothing against sending it the next call.
 */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error) || !(castGrpcError(error) instanceof GRPCUnavailableError)) return false;
  return !error.message.includes('etcdserver:') || error.message.includes('etcdserver: server stopped');
}

/**
 * Worth sending again: an endpoint that cannot be reached or has no leader yet, every
 * circuit open, or etcd shedding load. Everything else would fail the same way again.
 */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof GRPCUnavailableError ||
    error instanceof BrokenCircuitError ||
    (error instanceof Error && error.message.includes('too many requests'))
  );
}

function retryBackoff(): ExponentialBackoff<number> {
  return new ExponentialBackoff({
    generator: noJitterGenerator,
    initialDelay: FIRST_RETRY_DELAY_MS,
    maxDelay: MAX_RETRY_DELAY_MS,
  });
}

/** How many retries' delays fit within `callTimeoutMs` (at least one). */
function retriesWithin(callTimeoutMs: number): number {
  let retries = 0;
  let waited = 0;
  for (let backoff = retryBackoff().next(); ; backoff = backoff.next(undefined)) {
    waited += backoff.duration;
    if (waited > callTimeoutMs) return Math.max(1, retries);
    retries++;
  }
}

function stateName(state: CircuitState): EndpointState {
  if (state === CircuitState.Closed) return 'closed';
  return state === CircuitState.HalfOpen ? 'half-open' : 'open';
}
