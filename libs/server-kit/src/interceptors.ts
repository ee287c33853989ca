import { createHash, timingSafeEqual } from 'node:crypto';
import {
  Metadata,
  ServerInterceptingCall,
  status as GrpcStatus,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import { PerKeyLogThrottle } from './log-throttle';
import type { Logger } from './logger';
import { splitMethodPath, type ServerMetrics } from './metrics';

/**
 * Server interceptors. grpc-js applies the `interceptors` array with the FIRST entry
 * nearest the network; `startGrpcServer` puts `metricsInterceptor` before the ones it is
 * given, so calls `bearerTokenInterceptor` rejects are counted too.
 */

/** Services a bearer token never guards: Kubernetes probes health, and the schema is public. */
export const OPEN_SERVICES: readonly string[] = [
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
];

export interface BearerTokenOptions {
  /** Guard only these services (full names, `collector.CollectorService`). Default: all but OPEN_SERVICES. */
  readonly services?: readonly string[];
  /**
   * Where refused calls are logged (the method, the client's address, whether the token
   * was missing or wrong; never the token): at most one line a minute per client host.
   */
  readonly logger?: Logger;
}

/** A client refused again and again (a misconfigured detector retrying) logs one line a minute. */
const REFUSAL_LOG_PERIOD_MS = 60_000;

/**
 * Rejects calls without `authorization: Bearer <token>` of one of `tokens` with
 * UNAUTHENTICATED, "missing bearer token" or "invalid bearer token". Tokens are
 * compared in constant time. Several tokens admit several kinds of client to one port
 * (the query port admits the query token and the pseudonym token); what each may see is
 * the service's business, told by `presentsBearerToken`. With a logger, refusals are logged.
 */
export function bearerTokenInterceptor(
  tokens: string | readonly string[],
  options: BearerTokenOptions = {},
): ServerInterceptor {
  const accepted = (typeof tokens === 'string' ? [tokens] : tokens).map(bearerTokenDigest);
  if (accepted.length === 0) throw new Error('a bearer token interceptor needs at least one token');
  const isGuarded = (path: string): boolean => {
    const { service } = splitMethodPath(path);
    return options.services === undefined
      ? !OPEN_SERVICES.includes(service)
      : options.services.includes(service);
  };
  const refusals = new PerKeyLogThrottle(REFUSAL_LOG_PERIOD_MS);
  const logRefusal = (path: string, peer: string, reason: 'missing' | 'wrong'): void => {
    if (options.logger === undefined) return;
    // Keyed by host: a client that reconnects comes from another port.
    const suppressed = refusals.admit(peer.replace(/:\d+$/, ''));
    if (suppressed === undefined) return;
    options.logger.warn(
      { method: path, peer, reason, suppressed },
      `refused a call: ${reason} bearer token`,
    );
  };
  return (method, call) => {
    if (!isGuarded(method.path)) {
      return new ServerInterceptingCall(call);
    }
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, forward) => {
            const problem = authorizationProblem(metadata, accepted);
            if (problem === undefined) {
              forward(metadata);
            } else {
              logRefusal(method.path, call.getPeer(), problem.reason);
              call.sendStatus({
                code: GrpcStatus.UNAUTHENTICATED,
                details: problem.details,
                metadata: new Metadata(),
              });
            }
          },
        }),
    });
  };
}

/**
 * A test of whether a call's metadata presents `token` (`authorization: Bearer <token>`),
 * in constant time; for a service that answers differently to holders of a scope token.
 */
export function presentsBearerToken(token: string): (metadata: Metadata) => boolean {
  const expected = bearerTokenDigest(token);
  return (metadata) => {
    const presented = presentedToken(metadata);
    return presented !== undefined && timingSafeEqual(sha256(presented), expected);
  };
}

function bearerTokenDigest(token: string): Buffer {
  if (token === '') throw new Error('a bearer token must not be empty');
  return sha256(token);
}

function presentedToken(metadata: Metadata): string | undefined {
  const [header] = metadata.get('authorization');
  return typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
}

interface AuthorizationProblem {
  readonly reason: 'missing' | 'wrong';
  /** For the client. */
  readonly details: string;
}

function authorizationProblem(
  metadata: Metadata,
  acceptedDigests: readonly Buffer[],
): AuthorizationProblem | undefined {
  const presented = presentedToken(metadata);
  if (presented === undefined) {
    return { reason: 'missing', details: 'missing bearer token (send metadata authorization: Bearer <token>)' };
  }
  // Equal-length digests let timingSafeEqual compare tokens of any length without leaking
  // it; every accepted token is compared, so the time does not tell which one matched.
  const digest = sha256(presented);
  let matches = false;
  for (const accepted of acceptedDigests) matches = timingSafeEqual(digest, accepted) || matches;
  return matches ? undefined : { reason: 'wrong', details: 'invalid bearer token' };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Records every call under the gRPC Prometheus convention: started, each message received
 * and sent, and at its status the handled count by code and the handling time, for unary
 * and streaming calls alike. A call the client cancels counts as CANCELLED, or
 * DEADLINE_EXCEEDED when its deadline passed. `startGrpcServer` puts it first when given metrics.
 */
export function metricsInterceptor(metrics: ServerMetrics): ServerInterceptor {
  return (method, call) => {
    const recorder = metrics.startGrpcCall(method);
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMessage: (message, forward) => {
            recorder.messageReceived();
            forward(message);
          },
          onCancel: () =>
            recorder.finished(deadlinePassed(call) ? GrpcStatus.DEADLINE_EXCEEDED : GrpcStatus.CANCELLED),
        }),
      sendMessage: (message, next) => {
        recorder.messageSent();
        next(message);
      },
      sendStatus: (status, next) => {
        recorder.finished(status.code);
        next(status);
      },
    });
  };
}

function deadlinePassed(call: ServerInterceptingCallInterface): boolean {
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  return deadlineMs <= Date.now();
}
