import { status, type ServiceError } from '@grpc/grpc-js';

/** Which server a call went to, as the operator named it (for messages that say what to fix). */
export interface ServiceTarget {
  readonly service: 'collector' | 'query';
  readonly host: string;
  /** Whether mbcli spoke TLS to it, so a failed handshake can be explained either way. */
  readonly tls?: boolean;
}

const HOST_FLAG: Record<ServiceTarget['service'], string> = {
  collector: '--collector_host (or COLLECTOR_HOST)',
  query: '--query_host (or QUERY_HOST)',
};

const TOKEN_FLAG: Record<ServiceTarget['service'], string> = {
  collector: '--collector_token (or MBCLI_COLLECTOR_TOKEN)',
  query: '--query_token (or MBCLI_QUERY_TOKEN)',
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
      return (
        tlsProblem(where, target, details) ??
        `cannot reach ${where} (${unavailableReason(details)}); check ${HOST_FLAG[target.service]} and that the server is running`
      );
    case status.DEADLINE_EXCEEDED:
      return `${where} did not answer in time; check ${HOST_FLAG[target.service]} and the server's load`;
    case status.UNAUTHENTICATED:
    case status.PERMISSION_DENIED:
      return (
        `${where} refused the token (${details}); pass the right one with ${TOKEN_FLAG[target.service]}, ` +
        'or --token (or MBCLI_TOKEN) if both services take the same'
      );
    case status.INVALID_ARGUMENT:
      return `${where} rejected the request: ${details}; correct that argument and retry`;
    case status.UNIMPLEMENTED:
      return `${where} does not offer this call (${details}); is that host running a message-bus ${target.service} of this version?`;
    default:
      return `${where} failed with ${status[error.code] ?? error.code}: ${details}; rerun with --debug for details`;
  }
}

/**
 * A connection that failed in the TLS handshake (or failed because one side spoke TLS
 * and the other did not), said as what to change.
 */
function tlsProblem(where: string, target: ServiceTarget, details: string): string | undefined {
  const reason = unavailableReason(details).replace(/^Error( \[\w+\])?: /, '');
  if (target.tls) {
    if (/wrong version number|packet length too long|unknown protocol/i.test(details)) {
      return `cannot reach ${where} over TLS (the server does not speak TLS there); drop --tls, --tls_ca_file and --tls_server_name (and tls settings in the config file), or check ${HOST_FLAG[target.service]}`;
    }
    if (/ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames/.test(details)) {
      return `${where} presented a certificate for other names (${reason}); connect by a name the certificate holds or set --tls_server_name (or MBCLI_TLS_SERVER_NAME) to one`;
    }
    if (/certificate|CERT_|unable to verify|unable to get (local )?issuer/i.test(details)) {
      return `${where} presented a certificate mbcli does not trust (${reason}); pass the CA certificate that signed it with --tls_ca_file (or MBCLI_TLS_CA_FILE)`;
    }
    return undefined;
  }
  // grpc-js says this when the TCP connection opened but closed before HTTP/2 began:
  // what a TLS server does to a plaintext client.
  if (details.includes('Failed to connect')) {
    return `cannot reach ${where} (the connection closed before gRPC started); if the server uses TLS, pass --tls (or --tls_ca_file for a private CA), else check ${HOST_FLAG[target.service]}`;
  }
  return undefined;
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
