import { createHash, timingSafeEqual } from 'node:crypto';
import {
  Metadata,
  ServerInterceptingCall,
  status as GrpcStatus,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import { splitMethodPath, type ServerMetrics } from './metrics';

/**
 * Server interceptors. grpc-js applies the `interceptors` array with the FIRST entry
 * nearest the network, so list `metricsInterceptor` before `bearerTokenInterceptor`
 * to count rejected calls too.
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
}

/**
 * Rejects calls without `authorization: Bearer <token>` with UNAUTHENTICATED,
 * "missing bearer token" or "invalid bearer token". Tokens are compared in constant time.
 */
export function bearerTokenInterceptor(token: string, options: BearerTokenOptions = {}): ServerInterceptor {
  if (token === '') {
    throw new Error('a bearer token must not be empty');
  }
  const expectedDigest = sha256(token);
  const isGuarded = (path: string): boolean => {
    const { service } = splitMethodPath(path);
    return options.services === undefined
      ? !OPEN_SERVICES.includes(service)
      : options.services.includes(service);
  };
  return (method, call) => {
    if (!isGuarded(method.path)) {
      return new ServerInterceptingCall(call);
    }
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, forward) => {
            const problem = authorizationProblem(metadata, expectedDigest);
            if (problem === undefined) {
              forward(metadata);
            } else {
              call.sendStatus({
                code: GrpcStatus.UNAUTHENTICATED,
                details: problem,
                metadata: new Metadata(),
              });
            }
          },
        }),
    });
  };
}

function authorizationProblem(metadata: Metadata, expectedDigest: Buffer): string | undefined {
  const [header] = metadata.get('authorization');
  const presented = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
  if (presented === undefined) {
    return 'missing bearer token (send metadata authorization: Bearer <token>)';
  }
  // Equal-length digests let timingSafeEqual compare tokens of any length without leaking it.
  return timingSafeEqual(sha256(presented), expectedDigest) ? undefined : 'invalid bearer token';
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Counts every finished call by service, method and status code and observes its
 * duration, for unary and streaming calls alike. A call the client cancels counts
 * as CANCELLED, or DEADLINE_EXCEEDED when its deadline passed.
 */
export function metricsInterceptor(metrics: ServerMetrics): ServerInterceptor {
  return (method, call) => {
    const startedAt = performance.now();
    let recorded = false;
    const record = (code: GrpcStatus): void => {
      if (!recorded) {
        recorded = true;
        metrics.recordGrpcCall(method.path, code, (performance.now() - startedAt) / 1000);
      }
    };
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onCancel: () => record(deadlinePassed(call) ? GrpcStatus.DEADLINE_EXCEEDED : GrpcStatus.CANCELLED),
        }),
      sendStatus: (status, next) => {
        record(status.code);
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
