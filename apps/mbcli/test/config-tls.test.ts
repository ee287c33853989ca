import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CqserverProcess } from './cqserver-process';
import { mbcli, mbcliJson } from './mbcli';
import { mbcliProcess, withEnv } from './mbcli-process';
import { createTestCertificates, type TestCertificates } from '@message-bus/tools/tls';

let dir: string;
let certs: TestCertificates;
/** cqserver with TLS on its gRPC ports, and one without. */
let tlsServer: CqserverProcess;
let plainServer: CqserverProcess;
/** An empty config dir, so the operator's own ~/.config/mbcli cannot change what these tests see. */
let emptyConfigHome: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mbcli-config-tls-'));
  certs = createTestCertificates(dir);
  emptyConfigHome = join(dir, 'empty-config-home');
  mkdirSync(emptyConfigHome);
  process.env['XDG_CONFIG_HOME'] = emptyConfigHome;
  [tlsServer, plainServer] = await Promise.all([
    CqserverProcess.start([`--tls.cert_file=${certs.certFile}`, `--tls.key_file=${certs.keyFile}`]),
    CqserverProcess.start(),
  ]);
});
afterAll(async () => {
  await Promise.all([tlsServer?.stop(), plainServer?.stop()]);
  delete process.env['XDG_CONFIG_HOME'];
  rmSync(dir, { recursive: true, force: true });
});

const queryHostEnv = (server: CqserverProcess) => ({ QUERY_HOST: `127.0.0.1:${server.ports.query}` });

// In-process TLS calls name the server (localhost, in the certificate): to an IP address
// grpc-js makes Node print a DEP0123 warning, which only the real executable filters out.
describe('TLS', () => {
  it('links set and links list reach a TLS server with --tls_ca_file and --tls_server_name', async () => {
    const tlsFlags = ['--tls_ca_file', certs.caFile, '--tls_server_name', 'localhost'];
    const set = await mbcli([
      'links',
      'set',
      '--dest',
      'b1',
      '--src',
      'a1',
      ...tlsServer.hostFlags(),
      ...tlsFlags,
    ]);
    expect(set.error).toBeUndefined();
    expect(await mbcliJson(['links', 'list', ...tlsServer.hostFlags(), ...tlsFlags])).toEqual([
      { source: 'a1', destination: 'b1', maxSeconds: 600, minSeconds: null },
    ]);
  });

  it('health checks both services over TLS', async () => {
    const reports = await mbcliJson<{ status: string }[]>([
      'health',
      ...tlsServer.hostFlags(),
      '--tls_ca_file',
      certs.caFile,
      '--tls_server_name',
      'localhost',
    ]);
    expect(reports.map((report) => report.status)).toEqual(['SERVING', 'SERVING']);
  });

  it('the executable takes the CA from MBCLI_TLS_CA_FILE and checks the IP address, with nothing on stderr', () => {
    const run = mbcliProcess(['links', 'list', '--json'], {
      ...queryHostEnv(tlsServer),
      MBCLI_TLS_CA_FILE: certs.caFile,
      XDG_CONFIG_HOME: emptyConfigHome,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      { source: 'a1', destination: 'b1', maxSeconds: 600, minSeconds: null },
    ]);
  });

  it('without TLS, says in one line to pass --tls', async () => {
    const { error, stderr } = await mbcli(['links', 'list', ...tlsServer.hostFlags()]);
    expect(error?.oclif?.exit).toBe(2);
    expect(stderr).toBe(
      `mbcli: cannot reach the query service at 127.0.0.1:${tlsServer.ports.query} (the connection closed before gRPC started); if the server uses TLS, pass --tls (or --tls_ca_file for a private CA), else check --query_host (or QUERY_HOST)\n`,
    );
  });

  it('with the system roots or another CA, says the certificate is not trusted and to pass --tls_ca_file', async () => {
    for (const tlsFlags of [['--tls'], ['--tls_ca_file', certs.otherCaFile]]) {
      const { error, stderr } = await mbcli([
        'links',
        'list',
        ...tlsServer.hostFlags(),
        ...tlsFlags,
        '--tls_server_name',
        'localhost',
      ]);
      expect(error?.oclif?.exit).toBe(2);
      expect(stderr).toMatch(
        /^mbcli: the query service at 127\.0\.0\.1:\d+ presented a certificate mbcli does not trust \(.+\); pass the CA certificate that signed it with --tls_ca_file \(or MBCLI_TLS_CA_FILE\)\n$/,
      );
    }
  });

  it('with a server name the certificate lacks, says to set --tls_server_name', async () => {
    const { error, stderr } = await mbcli([
      'links',
      'list',
      ...tlsServer.hostFlags(),
      '--tls_ca_file',
      certs.caFile,
      '--tls_server_name',
      'bus.example',
    ]);
    expect(error?.oclif?.exit).toBe(2);
    expect(stderr).toMatch(
      /^mbcli: the query service at 127\.0\.0\.1:\d+ presented a certificate for other names \(.*bus\.example.*\); connect by a name the certificate holds or set --tls_server_name \(or MBCLI_TLS_SERVER_NAME\) to one\n$/,
    );
  });

  it('over TLS to a plaintext server, says to drop the TLS options', async () => {
    const { error, stderr } = await mbcli([
      'links',
      'list',
      ...plainServer.hostFlags(),
      '--tls_ca_file',
      certs.caFile,
      '--tls_server_name',
      'localhost',
    ]);
    expect(error?.oclif?.exit).toBe(2);
    expect(stderr).toBe(
      `mbcli: cannot reach the query service at 127.0.0.1:${plainServer.ports.query} over TLS (the server does not speak TLS there); drop --tls, --tls_ca_file and --tls_server_name (and tls settings in the config file), or check --query_host (or QUERY_HOST)\n`,
    );
  });
});

describe('the config file', () => {
  /** A config home whose mbcli/config.yaml holds text. */
  function configHome(name: string, text: string): string {
    const home = join(dir, name);
    mkdirSync(join(home, 'mbcli'), { recursive: true });
    writeFileSync(join(home, 'mbcli', 'config.yaml'), text);
    return home;
  }

  it('is read from the user config dir, with the CA path relative to the file', async () => {
    const home = configHome(
      'tls-home',
      [
        `query_host: 127.0.0.1:${tlsServer.ports.query}`,
        `collector_host: 127.0.0.1:${tlsServer.ports.collector}`,
        `tls_ca_file: ${join('..', '..', 'test-ca.pem')}`,
        'tls_server_name: localhost',
      ].join('\n'),
    );
    await withEnv({ XDG_CONFIG_HOME: home }, async () => {
      expect(await mbcliJson(['links', 'list'])).toEqual([
        { source: 'a1', destination: 'b1', maxSeconds: 600, minSeconds: null },
      ]);

      // --no-tls wins over the file's TLS settings: plaintext, which this TLS server refuses.
      const plain = await mbcli(['links', 'list', '--no-tls']);
      expect(plain.error?.oclif?.exit).toBe(2);
      expect(plain.stderr).toContain(
        '(the connection closed before gRPC started); if the server uses TLS, pass --tls',
      );
    });
  });

  it('gives way to the environment, which gives way to the flag', async () => {
    const home = configHome('dead-host-home', 'query_host: 127.0.0.1:1\n');
    await withEnv({ XDG_CONFIG_HOME: home }, async () => {
      const fromFile = await mbcli(['links', 'list']);
      expect(fromFile.error?.oclif?.exit).toBe(2);
      expect(fromFile.stderr).toContain('cannot reach the query service at 127.0.0.1:1 (connection refused)');
    });
    await withEnv({ XDG_CONFIG_HOME: home, ...queryHostEnv(plainServer) }, async () => {
      expect(await mbcliJson(['links', 'list'])).toEqual([]);
      const fromFlag = await mbcli(['links', 'list', '--query_host', '127.0.0.1:2']);
      expect(fromFlag.error?.oclif?.exit).toBe(2);
      expect(fromFlag.stderr).toContain('cannot reach the query service at 127.0.0.1:2 (connection refused)');
    });
  });

  it('named by --config or MBCLI_CONFIG must exist', async () => {
    const missing = join(dir, 'missing.yaml');
    const flag = await mbcli(['links', 'list', '--config', missing]);
    expect(flag.error?.oclif?.exit).toBe(2);
    expect(flag.stderr).toBe(
      `mbcli: config file ${missing}: cannot read it (no such file); check --config (or MBCLI_CONFIG)\n`,
    );
    const env = await withEnv({ MBCLI_CONFIG: missing }, () => mbcli(['links', 'list']));
    expect(env.error?.oclif?.exit).toBe(2);
    expect(env.stderr).toBe(flag.stderr);
  });

  it('with an unknown key or a bad value is one line naming the file and the key, never the token', async () => {
    const typo = join(dir, 'typo.yaml');
    writeFileSync(typo, 'colector_host: 127.0.0.1:9000\n');
    const unknown = await mbcli(['links', 'list', '--config', typo]);
    expect(unknown.error?.oclif?.exit).toBe(2);
    expect(unknown.stderr).toBe(
      `mbcli: config file ${typo}: unknown key "colector_host" (did you mean collector_host?)\n`,
    );

    const badToken = join(dir, 'bad-token.yaml');
    writeFileSync(badToken, 'token:\n  - s3cret-token\n');
    const bad = await mbcli(['links', 'list', '--config', badToken]);
    expect(bad.error?.oclif?.exit).toBe(2);
    expect(bad.stderr).toBe(`mbcli: config file ${badToken}: token: expected a string, got a list\n`);
    expect(bad.stderr).not.toContain('s3cret-token');
  });

  it('--help shows the defaults the config file can override', async () => {
    const { stdout } = await withEnv({ HOME: '/home/operator', XDG_CONFIG_HOME: undefined }, () =>
      mbcli(['links', 'list', '--help']),
    );
    expect(stdout).toMatch(/--collector_host=<value>\s+\[default: 127\.0\.0\.1:9000, env: COLLECTOR_HOST\]/);
    expect(stdout).toMatch(
      /--config=<value>\s+\[default: ~\/\.config\/mbcli\/config\.yaml, env:\s+MBCLI_CONFIG\]/,
    );
    expect(stdout).toMatch(/--\[no-\]tls\s+\[env: MBCLI_TLS\]/);
    expect(stdout).toMatch(/--tls_ca_file=<value>\s+\[env: MBCLI_TLS_CA_FILE\]/);
    expect(stdout).toMatch(/--tls_server_name=<value>\s+\[env: MBCLI_TLS_SERVER_NAME\]/);
  });
});
