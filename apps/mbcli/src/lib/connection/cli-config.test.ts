import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  readConfigFile,
  resolveConnectionSettings,
  type ConfigFileSettings,
  type GlobalFlagValues,
} from './cli-config';

const dir = mkdtempSync(join(tmpdir(), 'mbcli-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function configFile(text: string): string {
  files += 1;
  const path = join(dir, `config-${files}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('readConfigFile', () => {
  it('reads every key, resolving tls_ca_file against the file’s directory', () => {
    const path = configFile(
      [
        'collector_host: c.example:9000',
        'query_host: q.example:8000',
        'token: s3cret',
        'collector_token: c-s3cret',
        'query_token: q-s3cret',
        'tls: true',
        'tls_ca_file: certs/ca.pem',
        'tls_server_name: bus.example',
      ].join('\n'),
    );
    expect(readConfigFile(path, true)).toEqual({
      path,
      settings: {
        collector_host: 'c.example:9000',
        query_host: 'q.example:8000',
        token: 's3cret',
        collector_token: 'c-s3cret',
        query_token: 'q-s3cret',
        tls: true,
        tls_ca_file: join(dir, 'certs/ca.pem'),
        tls_server_name: 'bus.example',
      },
    });
  });

  it('treats an empty file as no settings', () => {
    const path = configFile('');
    expect(readConfigFile(path, true)).toEqual({ path, settings: {} });
  });

  it('ignores a missing default file but not a missing named one', () => {
    const path = join(dir, 'absent.yaml');
    expect(readConfigFile(path, false)).toBeUndefined();
    expect(() => readConfigFile(path, true)).toThrow(
      `config file ${path}: cannot read it (no such file); check --config (or MBCLI_CONFIG)`,
    );
  });

  it('names an unknown key with the nearest known one', () => {
    const path = configFile('colector_host: c.example:9000\n');
    expect(() => readConfigFile(path, false)).toThrow(
      `config file ${path}: unknown key "colector_host" (did you mean collector_host?)`,
    );
    const other = configFile('endpoints: [a]\n');
    expect(() => readConfigFile(other, false)).toThrow(
      `config file ${other}: unknown key "endpoints" (the keys are collector_host, query_host, token, collector_token, query_token, tls, tls_ca_file, tls_server_name)`,
    );
  });

  it('names the key and the expected type, never the value (it may be the token)', () => {
    const token = configFile('token: 123456789\n');
    expect(() => readConfigFile(token, false)).toThrow(
      `config file ${token}: token: expected a string, got a number`,
    );
    const tls = configFile('tls: "yes"\n');
    expect(() => readConfigFile(tls, false)).toThrow(
      `config file ${tls}: tls: expected true or false, got a string`,
    );
    const empty = configFile('query_host: ""\n');
    expect(() => readConfigFile(empty, false)).toThrow(`config file ${empty}: query_host: is empty`);
  });

  it('reports invalid YAML in one line without quoting the file', () => {
    const path = configFile('token: "s3cret\nquery_host: q:8000\n');
    let message = '';
    try {
      readConfigFile(path, false);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(new RegExp(`^config file ${path}: invalid YAML: .+ at line \\d+, column \\d+$`));
    expect(message).not.toContain('s3cret');
  });

  it('wants a mapping at the top', () => {
    const path = configFile('- query_host\n');
    expect(() => readConfigFile(path, false)).toThrow(`config file ${path}: expected a mapping of settings`);
  });
});

describe('resolveConnectionSettings', () => {
  const file = {
    path: '/etc/mbcli.yaml',
    settings: { collector_host: 'file-c:9000', query_host: 'file-q:8000', token: 'file-token' },
  };

  it('takes the defaults when nothing is given', () => {
    expect(resolveConnectionSettings({}, undefined)).toEqual({
      collectorHost: '127.0.0.1:9000',
      queryHost: '127.0.0.1:8000',
      collectorToken: undefined,
      queryToken: undefined,
      tls: undefined,
    });
  });

  it('takes the config file over the defaults, and flags (or their env) over the file', () => {
    expect(resolveConnectionSettings({}, file)).toEqual({
      collectorHost: 'file-c:9000',
      queryHost: 'file-q:8000',
      collectorToken: 'file-token',
      queryToken: 'file-token',
      tls: undefined,
    });
    expect(resolveConnectionSettings({ query_host: 'flag-q:8000', token: 'flag-token' }, file)).toEqual({
      collectorHost: 'file-c:9000',
      queryHost: 'flag-q:8000',
      collectorToken: 'flag-token',
      queryToken: 'flag-token',
      tls: undefined,
    });
  });

  /** The two tokens these flags (or their env) and this config file give. */
  function tokens(flags: GlobalFlagValues, settings: ConfigFileSettings = {}) {
    const resolved = resolveConnectionSettings(flags, { path: '/etc/mbcli.yaml', settings });
    return { collectorToken: resolved.collectorToken, queryToken: resolved.queryToken };
  }

  it('sends each service its own token when both are given, in any layer', () => {
    expect(tokens({ collector_token: 'c-flag', query_token: 'q-flag' })).toEqual({
      collectorToken: 'c-flag',
      queryToken: 'q-flag',
    });
    expect(tokens({}, { collector_token: 'c-file', query_token: 'q-file' })).toEqual({
      collectorToken: 'c-file',
      queryToken: 'q-file',
    });
    expect(tokens({ query_token: 'q-flag' }, { collector_token: 'c-file' })).toEqual({
      collectorToken: 'c-file',
      queryToken: 'q-flag',
    });
  });

  it("takes a service's token flag (or its env) over the config file's", () => {
    const file = { collector_token: 'c-file', query_token: 'q-file' };
    expect(tokens({ collector_token: 'c-flag' }, file)).toEqual({
      collectorToken: 'c-flag',
      queryToken: 'q-file',
    });
    expect(tokens({ query_token: 'q-flag' }, file)).toEqual({
      collectorToken: 'c-file',
      queryToken: 'q-flag',
    });
  });

  it('fills in the token for whichever service has none of its own, from the flag over the file', () => {
    expect(tokens({ token: 'both', query_token: 'q-flag' })).toEqual({
      collectorToken: 'both',
      queryToken: 'q-flag',
    });
    expect(tokens({ token: 'both' }, { collector_token: 'c-file' })).toEqual({
      collectorToken: 'c-file',
      queryToken: 'both',
    });
    expect(tokens({ token: 'flag-both' }, { token: 'file-both', query_token: 'q-file' })).toEqual({
      collectorToken: 'flag-both',
      queryToken: 'q-file',
    });
    expect(tokens({}, { token: 'file-both', collector_token: 'c-file' })).toEqual({
      collectorToken: 'c-file',
      queryToken: 'file-both',
    });
  });

  it('turns TLS on from the file, and --no-tls turns it off again', () => {
    const tlsFile = { path: '/etc/mbcli.yaml', settings: { tls_server_name: 'bus.example' } };
    expect(resolveConnectionSettings({}, tlsFile).tls).toEqual({
      rootCerts: undefined,
      serverName: 'bus.example',
    });
    expect(resolveConnectionSettings({ tls: false }, tlsFile).tls).toBeUndefined();
  });

  it('names the config file key when its CA file is missing', () => {
    const caFile = join(dir, 'no-ca.pem');
    expect(() =>
      resolveConnectionSettings({}, { path: '/etc/mbcli.yaml', settings: { tls_ca_file: caFile } }),
    ).toThrow(
      `config file /etc/mbcli.yaml: tls_ca_file: cannot read ${JSON.stringify(caFile)} (no such file)`,
    );
  });
});
