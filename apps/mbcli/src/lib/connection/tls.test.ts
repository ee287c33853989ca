import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tlsSettings } from './tls';

const dir = mkdtempSync(join(tmpdir(), 'mbcli-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const source = '--tls_ca_file (or MBCLI_TLS_CA_FILE)';

describe('tlsSettings', () => {
  it('is off unless asked for, and on with --tls alone (system roots)', () => {
    expect(tlsSettings({})).toBeUndefined();
    expect(tlsSettings({ tls: true })).toEqual({ rootCerts: undefined, serverName: undefined });
  });

  it('turns on with a server name, and --no-tls wins over one', () => {
    expect(tlsSettings({ serverName: 'localhost' })).toEqual({
      rootCerts: undefined,
      serverName: 'localhost',
    });
    expect(tlsSettings({ tls: false, serverName: 'localhost' })).toBeUndefined();
  });

  it('names the source and the path of a CA file it cannot read', () => {
    const path = join(dir, 'missing.pem');
    expect(() => tlsSettings({ caFile: { value: path, source } })).toThrow(
      `--tls_ca_file (or MBCLI_TLS_CA_FILE): cannot read ${JSON.stringify(path)} (no such file)`,
    );
  });

  it('refuses a file without a PEM certificate, e.g. a key given by mistake', () => {
    const path = join(dir, 'server.key');
    writeFileSync(path, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    expect(() => tlsSettings({ caFile: { value: path, source: 'config file c.yaml: tls_ca_file' } })).toThrow(
      `config file c.yaml: tls_ca_file: ${JSON.stringify(path)} holds no PEM certificate`,
    );
  });

  it('refuses a damaged certificate rather than failing every call later', () => {
    const path = join(dir, 'broken.pem');
    writeFileSync(path, '-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n');
    expect(() => tlsSettings({ caFile: { value: path, source } })).toThrow(
      new RegExp(
        `^--tls_ca_file \\(or MBCLI_TLS_CA_FILE\\): ".*broken\\.pem" is not a usable CA certificate \\(.+\\)$`,
      ),
    );
  });
});
