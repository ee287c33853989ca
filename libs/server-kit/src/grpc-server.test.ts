import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, status as GrpcStatus, type ServerInterceptor } from '@grpc/grpc-js';
import { ValidationError } from '@message-bus/domain';
import {
  StoreInvalidArgumentError,
  StoreQuotaExhaustedError,
  StoreUnavailableError,
} from '@message-bus/repository';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bearer,
  callError,
  deferred,
  EchoClient,
  echoImplementation,
  echoServiceDefinition,
  eventually,
  memoryLogger,
  readAll,
  type EchoHandlers,
} from '../test/echo-service';
import { startGrpcServer, type RunningGrpcServer, type ServiceRegistration } from './grpc-server';
import { bearerTokenInterceptor, presentsBearerToken } from './interceptors';
import type { Logger } from './logger';
import { ServerMetrics } from './metrics';
import { startMetricsServer } from './metrics-server';
import { GrpcStatusError } from './status';
import type { TlsFiles } from './tls';

const LOOPBACK = { host: '127.0.0.1', port: 0 };

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

interface Started {
  readonly running: RunningGrpcServer;
  readonly client: EchoClient;
  readonly logger: Logger;
  readonly logLines: () => Array<Record<string, unknown>>;
}

async function serve(
  options: {
    handlers?: EchoHandlers;
    interceptors?: ServerInterceptor[];
    metrics?: ServerMetrics;
    services?: (logger: Logger) => ServiceRegistration[];
    tls?: TlsFiles;
    maxReceiveMessageBytes?: number;
  } = {},
): Promise<Started> {
  const { logger, lines } = memoryLogger('grpc-test');
  const running = await startGrpcServer({
    name: 'test.EchoService',
    address: LOOPBACK,
    services: options.services?.(logger) ?? [
      { definition: echoServiceDefinition(), implementation: echoImplementation(logger, options.handlers) },
    ],
    interceptors: options.interceptors ?? [],
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.maxReceiveMessageBytes === undefined
      ? {}
      : { maxReceiveMessageBytes: options.maxReceiveMessageBytes }),
    logger,
  });
  cleanups.push(() => running.shutdown(0));
  const client = new EchoClient(`127.0.0.1:${running.port}`);
  cleanups.push(() => client.close());
  return { running, client, logger, logLines: lines };
}

describe('startGrpcServer', () => {
  it('binds the port the system chose for :0 and serves unary and streaming calls', async () => {
    const { running, client } = await serve();
    expect(running.port).toBeGreaterThan(0);
    expect(await client.echo('hello')).toBe('hello');
    expect(await client.sum([1, 2, 3, 4])).toBe(10);
    expect((await readAll(client.count(3))).map((message) => message.n)).toEqual([1, 2, 3]);
  });

  it('accepts services given as an addToServer callback', async () => {
    const { client } = await serve({
      services: (logger) => [
        {
          addToServer: (server) =>
            server.addService(
              echoServiceDefinition(),
              echoImplementation(logger, { echo: async (text) => `<${text}>` }),
            ),
        },
      ],
    });
    expect(await client.echo('x')).toBe('<x>');
  });

  it('names the service and its address in the listening line', async () => {
    const { running, logLines } = await serve();
    expect(logLines().filter((line) => line['msg'] === 'gRPC server listening')).toEqual([
      expect.objectContaining({
        level: 'info',
        service: 'test.EchoService',
        address: `127.0.0.1:${running.port}`,
        tls: false,
      }),
    ]);
  });

  it('refuses requests above maxReceiveMessageBytes with RESOURCE_EXHAUSTED', async () => {
    const { client } = await serve({ maxReceiveMessageBytes: 1024 });
    expect(await client.echo('a'.repeat(500))).toHaveLength(500);
    const error = await callError(client.echo('a'.repeat(2000)));
    expect(error.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
  });

  it('reports a port already in use', async () => {
    const blocker = createTcpServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
    const { port } = blocker.address() as AddressInfo;
    await expect(
      startGrpcServer({
        name: 'test.EchoService',
        address: { host: '127.0.0.1', port },
        services: [],
        logger: memoryLogger().logger,
      }),
    ).rejects.toThrow(`cannot listen on 127.0.0.1:${port}`);
  });
});

describe('bearerTokenInterceptor', () => {
  const TOKEN = 'collector-secret-token';

  it('rejects a call without a token, with a wrong token, or with another scheme; accepts the right one', async () => {
    const { client } = await serve({ interceptors: [bearerTokenInterceptor(TOKEN)] });

    const missing = await callError(client.echo('x'));
    expect([missing.code, missing.details]).toEqual([
      GrpcStatus.UNAUTHENTICATED,
      'missing bearer token (send metadata authorization: Bearer <token>)',
    ]);

    const wrong = await callError(client.echo('x', bearer('not-the-token')));
    expect([wrong.code, wrong.details]).toEqual([GrpcStatus.UNAUTHENTICATED, 'invalid bearer token']);

    const prefix = await callError(client.echo('x', bearer(TOKEN.slice(0, -1))));
    expect([prefix.code, prefix.details]).toEqual([GrpcStatus.UNAUTHENTICATED, 'invalid bearer token']);

    const basic = new Metadata();
    basic.set('authorization', `Basic ${TOKEN}`);
    expect((await callError(client.echo('x', basic))).details).toMatch(/^missing bearer token/);

    expect(await client.echo('let me in', bearer(TOKEN))).toBe('let me in');
    const lowerCaseScheme = new Metadata();
    lowerCaseScheme.set('authorization', `bearer ${TOKEN}`);
    expect(await client.echo('scheme is case-insensitive', lowerCaseScheme)).toBe(
      'scheme is case-insensitive',
    );
  });

  it('guards streaming calls too', async () => {
    const { client } = await serve({ interceptors: [bearerTokenInterceptor(TOKEN)] });
    expect((await callError(client.sum([1]))).code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect((await callError(readAll(client.count(2)))).code).toBe(GrpcStatus.UNAUTHENTICATED);
  });

  it('leaves health open by default and guards only the named services when given', async () => {
    const guarded = ['test.EchoService', 'test.OtherService', 'grpc.health.v1.Health'];
    const register = (logger: Logger) =>
      guarded.map((service) => ({
        definition: echoServiceDefinition(service),
        implementation: echoImplementation(logger),
      }));
    const byDefault = await serve({ interceptors: [bearerTokenInterceptor(TOKEN)], services: register });
    const onlyEcho = await serve({
      interceptors: [bearerTokenInterceptor(TOKEN, { services: ['test.EchoService'] })],
      services: register,
    });
    const call = async (running: RunningGrpcServer, service: string): Promise<string> => {
      const client = new EchoClient(`127.0.0.1:${running.port}`, { service });
      cleanups.push(() => client.close());
      return client.echo('hi').then(
        () => 'open',
        (error: { code: number }) =>
          error.code === GrpcStatus.UNAUTHENTICATED ? 'guarded' : `code ${error.code}`,
      );
    };
    expect([
      await call(byDefault.running, 'test.EchoService'),
      await call(byDefault.running, 'test.OtherService'),
      await call(byDefault.running, 'grpc.health.v1.Health'),
    ]).toEqual(['guarded', 'guarded', 'open']);
    expect([
      await call(onlyEcho.running, 'test.EchoService'),
      await call(onlyEcho.running, 'test.OtherService'),
      await call(onlyEcho.running, 'grpc.health.v1.Health'),
    ]).toEqual(['guarded', 'open', 'open']);
  });

  it('logs a refusal with the method, client address and reason, never the token, once a minute per client', async () => {
    const refusals = memoryLogger('grpc-test');
    const { client } = await serve({ interceptors: [bearerTokenInterceptor(TOKEN, { logger: refusals.logger })] });
    const presented = `${TOKEN}-but-wrong`;
    expect((await callError(client.echo('x', bearer(presented)))).code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect((await callError(client.echo('x'))).code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect((await callError(client.sum([1]))).code).toBe(GrpcStatus.UNAUTHENTICATED);

    const lines = refusals.lines();
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        method: '/test.EchoService/Echo',
        peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/) as unknown,
        reason: 'wrong',
        suppressed: 0,
        msg: 'refused a call: wrong bearer token',
      }),
    ]);
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain(createHash('sha256').update(presented).digest('hex'));
    expect(logged).not.toContain(createHash('sha256').update(presented).digest('base64'));
  });

  it('refuses an empty token', () => {
    expect(() => bearerTokenInterceptor('')).toThrow('a bearer token must not be empty');
    expect(() => bearerTokenInterceptor(['good', ''])).toThrow('a bearer token must not be empty');
    expect(() => bearerTokenInterceptor([])).toThrow('needs at least one token');
  });

  it('admits any of several tokens, and presentsBearerToken tells which one a call holds', async () => {
    const SCOPE = 'pseudonym-scope-token';
    const holdsScope = presentsBearerToken(SCOPE);
    const { client } = await serve({ interceptors: [bearerTokenInterceptor([TOKEN, SCOPE])] });
    expect(await client.echo('first', bearer(TOKEN))).toBe('first');
    expect(await client.echo('second', bearer(SCOPE))).toBe('second');
    expect((await callError(client.echo('x', bearer('neither')))).details).toBe('invalid bearer token');

    expect([holdsScope(bearer(SCOPE)), holdsScope(bearer(TOKEN)), holdsScope(new Metadata())]).toEqual([
      true,
      false,
      false,
    ]);
    expect(holdsScope(bearer(`${SCOPE}x`))).toBe(false);
  });
});

describe('gRPC server metrics', () => {
  /** The labels of one method of the Echo service, as the gRPC Prometheus convention names them. */
  const echoLabels = (type: string, method: string) =>
    `grpc_type="${type}",grpc_service="test.EchoService",grpc_method="${method}"`;

  it('count calls by method, type and code, unary and streaming, including rejected and cancelled ones', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const neverReleased = deferred();
    const { client } = await serve({
      // The server puts metrics ahead of these, so it also sees the calls auth rejects.
      metrics,
      interceptors: [bearerTokenInterceptor('t')],
      handlers: {
        echo: async (text) => {
          if (text === 'bad') {
            throw new ValidationError('empty', 'detector_id', 'must not be empty');
          }
          return text;
        },
        beforeCountMessage: (n) => (n === 2 ? neverReleased.promise : Promise.resolve()),
      },
    });
    const http = await startMetricsServer(metrics, LOOPBACK, memoryLogger().logger);
    cleanups.push(() => http.close());

    await client.echo('a', bearer('t'));
    await client.echo('b', bearer('t'));
    await callError(client.echo('c'));
    await callError(client.echo('bad', bearer('t')));
    expect(await client.sum([5, 6], bearer('t'))).toBe(11);

    const stalled = client.count(5, bearer('t'));
    const firstMessage = new Promise((resolve) => stalled.once('data', resolve));
    stalled.on('error', () => undefined);
    await firstMessage;
    stalled.cancel();

    const scrape = async () => (await fetch(`http://127.0.0.1:${http.port}/metrics`)).text();
    const countCancelled = `grpc_server_handled_total{${echoLabels('server_stream', 'Count')},grpc_code="Canceled"} 1`;
    await eventually(async () => (await scrape()).includes(countCancelled), 'the cancelled stream to be counted');
    const lines = (await scrape()).split('\n');
    const handled = (type: string, method: string, code: string) =>
      `grpc_server_handled_total{${echoLabels(type, method)},grpc_code="${code}"}`;
    expect(lines).toContain(`${handled('unary', 'Echo', 'OK')} 2`);
    expect(lines).toContain(`${handled('unary', 'Echo', 'Unauthenticated')} 1`);
    expect(lines).toContain(`${handled('unary', 'Echo', 'InvalidArgument')} 1`);
    expect(lines).toContain(`${handled('client_stream', 'Sum', 'OK')} 1`);
    expect(lines).toContain(countCancelled);
    expect(lines).toContain(`grpc_server_started_total{${echoLabels('unary', 'Echo')}} 4`);
    expect(lines).toContain(`grpc_server_handling_seconds_count{${echoLabels('unary', 'Echo')}} 4`);
    expect(lines).toContain(`grpc_server_handling_seconds_count{${echoLabels('client_stream', 'Sum')}} 1`);
    // Sum received two messages and sent its one reply; the stalled Count sent one message.
    expect(lines).toContain(`grpc_server_msg_received_total{${echoLabels('client_stream', 'Sum')}} 2`);
    expect(lines).toContain(`grpc_server_msg_sent_total{${echoLabels('client_stream', 'Sum')}} 1`);
    expect(lines).toContain(`grpc_server_msg_sent_total{${echoLabels('server_stream', 'Count')}} 1`);
    neverReleased.resolve();
  });

  it('start every method of every service added, addToServer ones too, with its series at 0', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    await serve({
      metrics,
      services: (logger) => [
        { definition: echoServiceDefinition(), implementation: echoImplementation(logger) },
        {
          addToServer: (server) =>
            server.addService(echoServiceDefinition('test.OtherService'), echoImplementation(logger)),
        },
      ],
    });
    const lines = (await metrics.scrape()).split('\n');
    for (const code of ['OK', 'InvalidArgument', 'Unauthenticated', 'ResourceExhausted', 'Unavailable']) {
      expect(lines).toContain(`grpc_server_handled_total{${echoLabels('unary', 'Echo')},grpc_code="${code}"} 0`);
    }
    expect(lines.filter((line) => line.startsWith('grpc_server_handled_total{'))).toHaveLength(2 * 3 * 17);
    expect(lines).toContain(`grpc_server_started_total{${echoLabels('client_stream', 'Sum')}} 0`);
    expect(lines).toContain(
      'grpc_server_handling_seconds_count{grpc_type="server_stream",grpc_service="test.OtherService",grpc_method="Count"} 0',
    );
    expect(lines).toContain(
      'grpc_server_msg_received_total{grpc_type="unary",grpc_service="test.OtherService",grpc_method="Echo"} 0',
    );
  });

  it('count a server stream that completes as OK', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const { client } = await serve({ metrics });
    expect(await readAll(client.count(3))).toHaveLength(3);
    await eventually(
      async () =>
        (await metrics.scrape()).includes(
          `grpc_server_handled_total{${echoLabels('server_stream', 'Count')},grpc_code="OK"} 1`,
        ),
      'the finished stream to be counted',
    );
    expect(await metrics.scrape()).toContain(`grpc_server_msg_sent_total{${echoLabels('server_stream', 'Count')}} 3`);
  });
});

describe('toGrpcError over a real call', () => {
  const failures: Record<string, () => unknown> = {
    validation: () => new ValidationError('too_long', 'detector_id', 'must be at most 64 characters, got 70'),
    storeInvalid: () => new StoreInvalidArgumentError('range: after must be before before'),
    storeUnavailable: () => new StoreUnavailableError('connect ECONNREFUSED 10.0.0.3:2379'),
    storeQuota: () => new StoreQuotaExhaustedError('etcdserver: mvcc: database space exceeded'),
    statusError: () =>
      new GrpcStatusError(
        GrpcStatus.INVALID_ARGUMENT,
        'events: at most 10,000 sightings per log, got 12,001',
      ),
    carriesCode: () =>
      Object.assign(new Error('lookup failed'), {
        code: GrpcStatus.NOT_FOUND,
        details: 'detector det-9 not found',
      }),
    carriesCodeNoDetails: () => Object.assign(new Error('peer went away'), { code: GrpcStatus.UNAVAILABLE }),
    bug: () => new TypeError('cannot read properties of undefined (reading "secretInternalField")'),
    notAnError: () => 'a thrown string with internals',
  };

  async function failWith(kind: string) {
    const started = await serve({
      handlers: {
        echo: async (text) => {
          throw failures[text]?.();
        },
      },
    });
    return { error: await callError(started.client.echo(kind)), logLines: started.logLines };
  }

  it.each([
    ['validation', GrpcStatus.INVALID_ARGUMENT, 'detector_id: must be at most 64 characters, got 70'],
    ['storeInvalid', GrpcStatus.INVALID_ARGUMENT, 'range: after must be before before'],
    ['storeUnavailable', GrpcStatus.UNAVAILABLE, 'store unavailable, try again later'],
    ['storeQuota', GrpcStatus.RESOURCE_EXHAUSTED, 'store is out of space'],
    ['statusError', GrpcStatus.INVALID_ARGUMENT, 'events: at most 10,000 sightings per log, got 12,001'],
    ['carriesCode', GrpcStatus.NOT_FOUND, 'detector det-9 not found'],
    ['carriesCodeNoDetails', GrpcStatus.UNAVAILABLE, 'peer went away'],
    ['bug', GrpcStatus.INTERNAL, 'internal error'],
    ['notAnError', GrpcStatus.INTERNAL, 'internal error'],
  ])('%s → code %i, "%s"', async (kind, code, details) => {
    const { error } = await failWith(kind);
    expect([error.code, error.details]).toEqual([code, details]);
  });

  it('logs an unexpected error with its stack and keeps it from the client', async () => {
    const { error, logLines } = await failWith('bug');
    expect(error.details).not.toContain('secretInternalField');
    const logged = logLines().find((line) => line['msg'] === 'unexpected error in a gRPC handler');
    expect(logged?.['level']).toBe('error');
    const loggedError = logged?.['err'] as { message: string; stack: string } | undefined;
    expect(loggedError?.message).toContain('secretInternalField');
    expect(loggedError?.stack).toContain('TypeError');
  });

  it('logs store outages without sending their cause to the client', async () => {
    const { error, logLines } = await failWith('storeUnavailable');
    expect(error.details).not.toContain('10.0.0.3');
    const logged = logLines().find((line) => line['msg'] === 'store unavailable');
    expect((logged?.['err'] as { message: string } | undefined)?.message).toBe(
      'connect ECONNREFUSED 10.0.0.3:2379',
    );
  });
});

const opensslAvailable = spawnSync('openssl', ['version']).status === 0;

describe('TLS', () => {
  it.skipIf(!opensslAvailable)(
    opensslAvailable
      ? 'serves TLS with a self-signed certificate and refuses plaintext clients'
      : 'serves TLS: SKIPPED because openssl is not on PATH to generate a test certificate',
    async () => {
      const directory = mkdtempSync(join(tmpdir(), 'server-kit-tls-'));
      cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
      const certFile = join(directory, 'cert.pem');
      const keyFile = join(directory, 'key.pem');
      const generated = spawnSync('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ]);
      expect(generated.status, generated.stderr.toString()).toBe(0);
      const certChain = readFileSync(certFile);
      const { running, logLines } = await serve({ tls: { certChain, privateKey: readFileSync(keyFile) } });

      const tlsClient = new EchoClient(`localhost:${running.port}`, {
        credentials: credentials.createSsl(certChain),
      });
      cleanups.push(() => tlsClient.close());
      expect(await tlsClient.echo('over tls')).toBe('over tls');

      const plaintextClient = new EchoClient(`127.0.0.1:${running.port}`);
      cleanups.push(() => plaintextClient.close());
      const refused = await callError(
        plaintextClient.echo('in the clear', new Metadata(), { deadline: Date.now() + 5_000 }),
      );
      expect([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED]).toContain(refused.code);
      expect(logLines().find((line) => line['msg'] === 'gRPC server listening')?.['tls']).toBe(true);
    },
  );
});

describe('shutdown', () => {
  it('lets an in-flight call finish, refuses new calls, then resolves "drained"', async () => {
    const entered = deferred();
    const release = deferred();
    const { running, client } = await serve({
      handlers: {
        echo: async (text) => {
          entered.resolve();
          await release.promise;
          return `finished ${text}`;
        },
      },
    });
    const inFlight = client.echo('slow');
    await entered.promise;

    const shutdown = running.shutdown(60_000);
    const lateClient = new EchoClient(`127.0.0.1:${running.port}`);
    cleanups.push(() => lateClient.close());
    const late = await callError(
      lateClient.echo('too late', new Metadata(), { deadline: Date.now() + 5_000 }),
    );
    expect([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED]).toContain(late.code);

    release.resolve();
    expect(await inFlight).toBe('finished slow');
    expect(await shutdown).toBe('drained');
    expect(running.shutdown(60_000)).toBe(shutdown);
  });

  it('cancels calls still running after the grace period and resolves "forced"', async () => {
    const neverReleased = deferred();
    const { running, client } = await serve({
      handlers: { beforeCountMessage: (n) => (n === 2 ? neverReleased.promise : Promise.resolve()) },
    });
    const endless = client.count(10);
    const outcome = readAll(endless).then(
      () => 'ended normally',
      (error: { code: number }) => error.code,
    );
    await new Promise((resolve) => endless.once('data', resolve));

    expect(await running.shutdown(50)).toBe('forced');
    expect([GrpcStatus.CANCELLED, GrpcStatus.UNAVAILABLE]).toContain(await outcome);
    neverReleased.resolve();
  });
});
