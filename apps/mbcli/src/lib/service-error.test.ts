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

  it('points at --token when the token is refused', () => {
    expect(describeServiceError(query, serviceError(status.UNAUTHENTICATED, 'bad bearer token'))).toBe(
      'the query service at q.example:8000 refused the token (bad bearer token); pass the right one with --token (or MBCLI_TOKEN)',
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
