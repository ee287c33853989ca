import { status, type ServiceError } from '@grpc/grpc-js';

/** Which server a call went to, as the operator named it (for messages that say what to fix). */
export interface ServiceTarget {
  readonly service: 'collector' | 'query';
  readonly host: string;
}

const HOST_FLAG: Record<ServiceTarget['service'], string> = {
  collector: '--collector_host (or COLLECTOR_HOST)',
  query: '--query_host (or QUERY_HOST)',
};

/** A failed gRPC call, described in one line: what went wrong and what to try. */
export class ServiceCallError extends Error {
  constructor(
    readonly target: ServiceTarget,
    override readonly cause: ServiceError,
  ) {
    super(describeServiceError(target, cause));
    this.name = 'ServiceCallError';
  }
}

export function describeServiceError(target: ServiceTarget, error: ServiceError): string {
  const where = `the ${target.service} service at ${target.host}`;
  const details = firstLine(error.details || error.message);
  switch (error.code) {
    case status.UNAVAILABLE:
      return `cannot reach ${where} (${unavailableReason(details)}); check ${HOST_FLAG[target.service]} and that the server is running`;
    case status.DEADLINE_EXCEEDED:
      return `${where} did not answer in time; check ${HOST_FLAG[target.service]} and the server's load`;
    case status.UNAUTHENTICATED:
    case status.PERMISSION_DENIED:
      return `${where} refused the token (${details}); pass the right one with --token (or MBCLI_TOKEN)`;
    case status.INVALID_ARGUMENT:
      return `${where} rejected the request: ${details}; correct that argument and retry`;
    case status.UNIMPLEMENTED:
      return `${where} does not offer this call (${details}); is that host running a message-bus ${target.service} of this version?`;
    default:
      return `${where} failed with ${status[error.code] ?? error.code}: ${details}; rerun with --debug for details`;
  }
}

/** grpc-js's connection failures, reduced to the reason an operator can act on. */
function unavailableReason(details: string): string {
  if (details.includes('ECONNREFUSED')) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN|Name resolution failed/.test(details)) return 'host name not found';
  if (/ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/.test(details)) return 'host unreachable';
  return details
    .replace(/^No connection established\. Last error: /, '')
    .replace(/\. Resolution note:.*$/, '');
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
