import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../test/echo-service';
import { grpcJsLogger, redactCredentials, routeGrpcLogging } from './grpc-logging';

const TOKEN = 'secret-token-4f1c';

describe('redactCredentials', () => {
  it("cuts everything after an authorization header's name or a Bearer", () => {
    expect(
      redactCredentials(
        `Failed to add metadata entry authorization: Bearer ${TOKEN}\tx. Metadata string value ` +
          `"Bearer ${TOKEN}\tx" contains illegal characters.`,
      ),
    ).toBe('Failed to add metadata entry authorization [redacted]');
    expect(redactCredentials(`received headers {"authorization":["Bearer ${TOKEN}"]}`)).toBe(
      'received headers {"authorization [redacted]',
    );
    expect(redactCredentials(`value "bearer ${TOKEN}ÿ" is illegal`)).toBe('value "[redacted]');
    expect(redactCredentials('Invalid grpc-timeout value "12"')).toBe('Invalid grpc-timeout value "12"');
  });
});

describe('routeGrpcLogging', () => {
  it('writes what grpc-js logs as JSON lines, without the token', () => {
    const { logger, lines } = memoryLogger();
    grpcJsLogger(logger).info('%s and %d', 'text', 2);
    routeGrpcLogging(logger);
    // grpc-js drops a header value with a tab or a non-ASCII byte and logs it.
    Metadata.fromHttp2Headers({ authorization: `Bearer ${TOKEN}\tx` });
    Metadata.fromHttp2Headers({ authorization: `Bearer ${TOKEN}\u00ff` });
    const logged = lines();
    expect(logged).toEqual([
      expect.objectContaining({ level: 'info', source: 'grpc-js', msg: 'text and 2' }),
      expect.objectContaining({
        level: 'error',
        source: 'grpc-js',
        msg: 'Failed to add metadata entry authorization [redacted]',
      }),
      expect.objectContaining({ level: 'error', msg: 'Failed to add metadata entry authorization [redacted]' }),
    ]);
    expect(JSON.stringify(logged)).not.toContain(TOKEN);
  });
});
