import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { describeServiceError } from './service-error';

function serviceError(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });
}

const query = { service: 'query', host: 'q.example:8000' } as const;

describe('describeServiceError', () => {
  it('says which server is unreachable and which flag sets it', () => {
    const refused = serviceError(
      status.UNAVAILABLE,
      'No connection established. Last error: Error: connect ECONNREFUSED 10.0.0.1:8000. Resolution note: ',
    );
    expect(describeServiceError(query, refused)).toBe(
      'cannot reach the query service at q.example:8000 (connection refused); check --query_host (or QUERY_HOST) and that the server is running',
    );
  });

  it("points at the refusing service's token flag, and --token for both, when the token is refused", () => {
    expect(describeServiceError(query, serviceError(status.UNAUTHENTICATED, 'bad bearer token'))).toBe(
      'the query service at q.example:8000 refused the token (bad bearer token); pass the right one with --query_token (or MBCLI_QUERY_TOKEN), or --token (or MBCLI_TOKEN) if both services take the same',
    );
    expect(
      describeServiceError(
        { service: 'collector', host: 'c:9000' },
        serviceError(status.PERMISSION_DENIED, 'bad bearer token'),
      ),
    ).toBe(
      'the collector service at c:9000 refused the token (bad bearer token); pass the right one with --collector_token (or MBCLI_COLLECTOR_TOKEN), or --token (or MBCLI_TOKEN) if both services take the same',
    );
  });

  it('passes on the reason for an invalid argument, in one line', () => {
    expect(
      describeServiceError(
        { service: 'collector', host: 'c:9000' },
        serviceError(status.INVALID_ARGUMENT, 'detector_id: empty\nmore'),
      ),
    ).toBe(
      'the collector service at c:9000 rejected the request: detector_id: empty; correct that argument and retry',
    );
  });
});

describe('describeServiceError for TLS', () => {
  const unavailable = (lastError: string) =>
    serviceError(
      status.UNAVAILABLE,
      `No connection established. Last error: ${lastError}. Resolution note: `,
    );

  it('suggests --tls when a TLS server hung up on a plaintext client', () => {
    expect(describeServiceError(query, unavailable('Failed to connect (2026-01-30T00:00:00.000Z)'))).toBe(
      'cannot reach the query service at q.example:8000 (the connection closed before gRPC started); if the server uses TLS, pass --tls (or --tls_ca_file for a private CA), else check --query_host (or QUERY_HOST)',
    );
  });

  it('suggests --tls_ca_file for a certificate the client does not trust', () => {
    const target = { ...query, tls: true };
    expect(describeServiceError(target, unavailable('Error: unable to verify the first certificate'))).toBe(
      'the query service at q.example:8000 presented a certificate mbcli does not trust (unable to verify the first certificate); pass the CA certificate that signed it with --tls_ca_file (or MBCLI_TLS_CA_FILE)',
    );
  });

  it('suggests --tls_server_name for a certificate of other names', () => {
    const target = { ...query, tls: true };
    expect(
      describeServiceError(
        target,
        unavailable(
          "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: IP: 10.0.0.1 is not in the cert's list: ",
        ),
      ),
    ).toMatch(
      /^the query service at q\.example:8000 presented a certificate for other names \(Hostname\/IP does not match .*\); connect by a name the certificate holds or set --tls_server_name \(or MBCLI_TLS_SERVER_NAME\) to one$/,
    );
  });

  it('says to drop TLS when the server answers in plaintext', () => {
    const target = { ...query, tls: true };
    expect(
      describeServiceError(
        target,
        unavailable(
          'Error: 80AC:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:ssl3_record.c:350:',
        ),
      ),
    ).toBe(
      'cannot reach the query service at q.example:8000 over TLS (the server does not speak TLS there); drop --tls, --tls_ca_file and --tls_server_name (and tls settings in the config file), or check --query_host (or QUERY_HOST)',
    );
  });
});
