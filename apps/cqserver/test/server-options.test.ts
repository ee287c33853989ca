import { collectorPart, collectorServerOptions, privacyOptions } from '@message-bus/collector';
import { queryPart, queryServerOptions } from '@message-bus/query';
import { serverOptions, storeOptions } from '@message-bus/runtime';
import {
  ConfigError,
  loadConfig,
  pickConfig,
  runtimeOptions,
  type Address,
  type ConfigInput,
} from '@message-bus/server-kit';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';

// The options every part declares, loaded together as the server apps load them.

const HOUR_MS = 3_600_000;

const directory = mkdtempSync(join(tmpdir(), 'cqserver-options-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

let fileCounter = 0;
function configFile(yaml: string): string {
  fileCounter += 1;
  const path = join(directory, `config-${fileCounter}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

function input(argv: readonly string[] = [], env: Record<string, string> = {}): ConfigInput {
  return { argv, env, readFile: (path) => readFileSync(path, 'utf8') };
}

describe('the options of a collector and query server', () => {
  const all = serverOptions([collectorPart, queryPart]);

  it("load with the original's defaults and combine without clashes", () => {
    const loaded = loadConfig(all, input());
    if (loaded.help) {
      throw new Error('unexpected help');
    }
    expect(loaded.values).toEqual({
      log_level: 'info',
      metrics_port: { host: '0.0.0.0', port: 9100 },
      collector_port: { host: '0.0.0.0', port: 9000 },
      collector_token: undefined,
      query_port: { host: '0.0.0.0', port: 8000 },
      query_token: undefined,
      healthcheck_port: { host: '0.0.0.0', port: 5000 },
      store: 'embedded',
      data_dir: './data',
      'etcd.prefix': 'tdc',
      'etcd.endpoints': ['http://127.0.0.1:2379'],
      retention: 168 * HOUR_MS,
      traveltime_retention: 90 * 24 * HOUR_MS,
      status_retention: 30 * 24 * HOUR_MS,
      profile_retention: 14 * 24 * HOUR_MS,
      alert_retention: 90 * 24 * HOUR_MS,
      'privacy.key': undefined,
      'privacy.key_file': undefined,
      'privacy.rotation': 'daily',
      'privacy.rotation_hour': 3,
      'privacy.overlap': 30 * 60_000,
      'tls.cert_file': undefined,
      'tls.key_file': undefined,
      'tls.healthcheck': false,
      'tls.metrics': false,
    });
    // Each part, and the runtime, reads its own options typed by its declarations.
    expectTypeOf(pickConfig(storeOptions, loaded.values).store).toEqualTypeOf<'embedded' | 'etcd'>();
    expectTypeOf(pickConfig(privacyOptions, loaded.values)['privacy.rotation']).toEqualTypeOf<'daily' | 'never'>();
    expectTypeOf(pickConfig(runtimeOptions, loaded.values).metrics_port).toEqualTypeOf<Address | undefined>();
  });

  it('reads a config file in the original Go format', () => {
    const path = configFile(
      'collector_port: :9000\nquery_port: :8000\nhealthcheck_port: :5000\netcd:\n  prefix: tdc\n  endpoints: [http://127.0.0.1:2379]\n',
    );
    const loaded = loadConfig(all, input(['--config_file', path]));
    expect(loaded.help ? undefined : loaded.values['etcd.endpoints']).toEqual(['http://127.0.0.1:2379']);
    expect(loaded.help ? undefined : loaded.values.healthcheck_port).toEqual({ host: '0.0.0.0', port: 5000 });
  });

  it('refuses an empty or blank token from any layer instead of turning auth off', () => {
    const tokens = [...collectorServerOptions, ...queryServerOptions];
    const cases: Array<[ConfigInput, string, string]> = [
      [input([], { COLLECTOR_TOKEN: '' }), 'env COLLECTOR_TOKEN', 'collector_token'],
      [input([], { QUERY_TOKEN: '  ' }), 'env QUERY_TOKEN', 'query_token'],
      [input(['--collector_token=']), '--collector_token', 'collector_token'],
      [input(['--query_token', ' ']), '--query_token', 'query_token'],
      [
        input(['--config_file', configFile('collector_token:\n')]),
        'config file {file}: collector_token',
        'collector_token',
      ],
    ];
    for (const [given, where, option] of cases) {
      let error: unknown;
      try {
        loadConfig(tokens, given);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message.replace(/^config file [^:]+:/, 'config file {file}:')).toBe(
        `${where}: must not be empty (leave it unset instead)`,
      );
      expect((error as ConfigError).option).toBe(option);
    }
    const unset = loadConfig(tokens, input());
    expect(unset.help ? 'help' : unset.values.collector_token).toBeUndefined();
  });

  it('refuses a privacy overlap as long as the rotation period', () => {
    expect(() => loadConfig(privacyOptions, input(['--privacy.overlap', '2d']))).toThrow(
      new ConfigError('--privacy.overlap: must be less than the rotation period (24h)', {
        option: 'privacy.overlap',
        source: 'flag',
      }),
    );
    expect(() => loadConfig(privacyOptions, input([], { PRIVACY_OVERLAP: '24h' }))).toThrow(
      'env PRIVACY_OVERLAP: must be less than the rotation period (24h)',
    );
    const loaded = loadConfig(privacyOptions, input(['--privacy.overlap', '23h59m']));
    expect(loaded.help ? undefined : loaded.values['privacy.overlap']).toBe(24 * HOUR_MS - 60_000);
  });

  it('accepts a 32-byte privacy key as hex or base64', () => {
    const key = Buffer.alloc(32, 7);
    for (const text of [key.toString('hex'), key.toString('base64'), key.toString('base64url')]) {
      const loaded = loadConfig(privacyOptions, input([`--privacy.key=${text}`]));
      expect(loaded.help ? undefined : loaded.values['privacy.key']).toBe(text);
    }
  });
});

