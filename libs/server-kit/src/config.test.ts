import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { Address } from './address';
import { ConfigError, defineOptions, envName, loadConfig, loggableConfig, type ConfigInput } from './config';

/** One option of every kind, with names like the real ones. */
const options = defineOptions([
  { name: 'collector_port', kind: 'address', default: ':9000', description: 'gRPC collector address.' },
  { name: 'etcd.prefix', kind: 'string', default: 'tdc', description: 'Key prefix.' },
  { name: 'etcd.endpoints', kind: 'list', default: 'http://127.0.0.1:2379', description: 'etcd endpoints.' },
  {
    name: 'privacy.rotation_hour',
    kind: 'integer',
    min: 0,
    max: 23,
    default: '3',
    description: 'Rotation hour.',
  },
  { name: 'verbose', kind: 'boolean', description: 'Say more.' },
  {
    name: 'store',
    kind: 'enum',
    choices: ['embedded', 'etcd'],
    default: 'embedded',
    description: 'Backend.',
  },
  { name: 'data-dir', kind: 'path', default: './data', description: 'Data directory.' },
  { name: 'retention', kind: 'duration', default: '168h', description: 'Raw event retention.' },
  {
    name: 'metrics_port',
    kind: 'address',
    default: ':9100',
    disableable: true,
    description: 'Metrics address.',
  },
  { name: 'query_token', kind: 'string', secret: true, description: 'Query bearer token.' },
]);

const HOUR_MS = 3_600_000;

const directory = mkdtempSync(join(tmpdir(), 'server-kit-config-'));
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

function load(argv: readonly string[] = [], env: Record<string, string> = {}) {
  const loaded = loadConfig(options, input(argv, env));
  if (loaded.help) {
    throw new Error('unexpected help');
  }
  return loaded;
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const FILE_YAML = `
collector_port: "127.0.0.1:9001"
etcd:
  prefix: from-file
  endpoints: [http://file-1:2379, http://file-2:2379]
privacy.rotation_hour: 4
verbose: true
store: etcd
data-dir: /var/lib/file
retention: 7d
metrics_port: ":9201"
query_token: file-token
`;

const ENV = {
  COLLECTOR_PORT: 'env-host:9002',
  ETCD_PREFIX: 'from-env',
  ETCD_ENDPOINTS: 'http://env-1:2379,http://env-2:2379',
  PRIVACY_ROTATION_HOUR: '5',
  VERBOSE: 'false',
  STORE: 'embedded',
  DATA_DIR: '/var/lib/env',
  RETENTION: '1h30m',
  METRICS_PORT: '[::1]:9202',
  QUERY_TOKEN: 'env-token',
};

const FLAGS = [
  '--collector_port',
  ':9003',
  '--etcd.prefix=from-flag',
  '--etcd.endpoints',
  'http://flag-1:2379',
  '--etcd.endpoints=http://flag-2:2379,http://flag-3:2379',
  '--privacy.rotation_hour=0',
  '--verbose',
  '--store=etcd',
  '--data-dir',
  'relative/flag',
  '--retention=500ms',
  '--metrics_port=',
  '--query_token',
  'flag-token',
];

describe('loadConfig precedence: defaults < file < env < flags', () => {
  it('uses the declared defaults when nothing is given', () => {
    const { values, sources, configFile: file } = load();
    expect(values).toEqual({
      collector_port: { host: '0.0.0.0', port: 9000 },
      'etcd.prefix': 'tdc',
      'etcd.endpoints': ['http://127.0.0.1:2379'],
      'privacy.rotation_hour': 3,
      verbose: false,
      store: 'embedded',
      'data-dir': './data',
      retention: 168 * HOUR_MS,
      metrics_port: { host: '0.0.0.0', port: 9100 },
      query_token: undefined,
    });
    expect(new Set(Object.values(sources))).toEqual(new Set(['default']));
    expect(file).toBeUndefined();
  });

  it('takes every kind from the YAML file over the defaults', () => {
    const path = configFile(FILE_YAML);
    const { values, sources, configFile: file } = load(['--config_file', path]);
    expect(values).toEqual({
      collector_port: { host: '127.0.0.1', port: 9001 },
      'etcd.prefix': 'from-file',
      'etcd.endpoints': ['http://file-1:2379', 'http://file-2:2379'],
      'privacy.rotation_hour': 4,
      verbose: true,
      store: 'etcd',
      'data-dir': '/var/lib/file',
      retention: 7 * 24 * HOUR_MS,
      metrics_port: { host: '0.0.0.0', port: 9201 },
      query_token: 'file-token',
    });
    expect(new Set(Object.values(sources))).toEqual(new Set(['file']));
    expect(file).toBe(path);
  });

  it('takes every kind from the environment over the file', () => {
    const { values, sources } = load(['--config_file', configFile(FILE_YAML)], ENV);
    expect(values).toEqual({
      collector_port: { host: 'env-host', port: 9002 },
      'etcd.prefix': 'from-env',
      'etcd.endpoints': ['http://env-1:2379', 'http://env-2:2379'],
      'privacy.rotation_hour': 5,
      verbose: false,
      store: 'embedded',
      'data-dir': '/var/lib/env',
      retention: 1.5 * HOUR_MS,
      metrics_port: { host: '::1', port: 9202 },
      query_token: 'env-token',
    });
    expect(new Set(Object.values(sources))).toEqual(new Set(['env']));
  });

  it('takes every kind from the flags over the environment', () => {
    const { values, sources } = load([...FLAGS, '--config_file', configFile(FILE_YAML)], ENV);
    expect(values).toEqual({
      collector_port: { host: '0.0.0.0', port: 9003 },
      'etcd.prefix': 'from-flag',
      'etcd.endpoints': ['http://flag-1:2379', 'http://flag-2:2379', 'http://flag-3:2379'],
      'privacy.rotation_hour': 0,
      verbose: true,
      store: 'etcd',
      'data-dir': 'relative/flag',
      retention: 500,
      metrics_port: undefined,
      query_token: 'flag-token',
    });
    expect(new Set(Object.values(sources))).toEqual(new Set(['flag']));
  });

  it('mixes layers option by option', () => {
    const path = configFile('etcd.prefix: from-file\nstore: etcd\n');
    const { values, sources } = load(['--store=embedded', '--config_file', path], {
      ETCD_ENDPOINTS: 'http://e:2379',
    });
    expect([values['etcd.prefix'], values['etcd.endpoints'], values.store, values.collector_port]).toEqual([
      'from-file',
      ['http://e:2379'],
      'embedded',
      { host: '0.0.0.0', port: 9000 },
    ]);
    expect([
      sources['etcd.prefix'],
      sources['etcd.endpoints'],
      sources['store'],
      sources['collector_port'],
    ]).toEqual(['file', 'env', 'flag', 'default']);
  });

  it('finds the config file through CONFIG_FILE, and a flag overrides that', () => {
    const fromEnv = configFile('etcd.prefix: env-named-file\n');
    const fromFlag = configFile('etcd.prefix: flag-named-file\n');
    expect(load([], { CONFIG_FILE: fromEnv }).values['etcd.prefix']).toBe('env-named-file');
    expect(load(['--config_file', fromFlag], { CONFIG_FILE: fromEnv }).values['etcd.prefix']).toBe(
      'flag-named-file',
    );
  });

  it('reads no file unless one is named', () => {
    const read: string[] = [];
    const loaded = loadConfig(options, {
      argv: [],
      env: {},
      readFile: (path) => {
        read.push(path);
        return '';
      },
    });
    expect(loaded.help).toBe(false);
    expect(read).toEqual([]);
  });

  it('accepts an empty YAML file', () => {
    expect(load(['--config_file', configFile('# nothing set\n')]).values['etcd.prefix']).toBe('tdc');
  });
});

describe('flag syntax', () => {
  it('keeps the last value of a repeated single-value flag', () => {
    expect(load(['--etcd.prefix', 'a', '--etcd.prefix=b']).values['etcd.prefix']).toBe('b');
  });

  it('reads booleans as --flag, --flag=false, and true|false|1|0|yes|no elsewhere', () => {
    expect(load(['--verbose']).values.verbose).toBe(true);
    expect(load(['--verbose=false']).values.verbose).toBe(false);
    expect(load(['--verbose=true'], { VERBOSE: 'no' }).values.verbose).toBe(true);
    expect(load([], { VERBOSE: '1' }).values.verbose).toBe(true);
    expect(load([], { VERBOSE: 'YES' }).values.verbose).toBe(true);
    expect(load([], { VERBOSE: '0' }).values.verbose).toBe(false);
  });

  it('trims list items and accepts a YAML list or a comma string in the file', () => {
    expect(load(['--etcd.endpoints', ' http://a:2379 , http://b:2379']).values['etcd.endpoints']).toEqual([
      'http://a:2379',
      'http://b:2379',
    ]);
    const path = configFile('etcd.endpoints: http://c:2379,http://d:2379\n');
    expect(load(['--config_file', path]).values['etcd.endpoints']).toEqual([
      'http://c:2379',
      'http://d:2379',
    ]);
  });

  it('returns help for --help or -h, even beside invalid flags', () => {
    expect(loadConfig(options, input(['--help'])).help).toBe(true);
    expect(loadConfig(options, input(['--collector_port', 'bad', '-h'])).help).toBe(true);
  });

  it('ignores environment variables that name no option', () => {
    expect(load([], { PATH: '/usr/bin', HOME: '/root' }).values.store).toBe('embedded');
  });
});

describe('value kinds', () => {
  it.each([
    [':9000', { host: '0.0.0.0', port: 9000 }],
    ['9000', { host: '0.0.0.0', port: 9000 }],
    [':0', { host: '0.0.0.0', port: 0 }],
    ['localhost:8000', { host: 'localhost', port: 8000 }],
    ['10.1.2.3:5000', { host: '10.1.2.3', port: 5000 }],
    ['[::]:9000', { host: '::', port: 9000 }],
    ['[::1]:65535', { host: '::1', port: 65535 }],
  ])('reads the address %s', (text, expected) => {
    expect(load(['--collector_port', text]).values.collector_port).toEqual(expected);
  });

  it.each([
    ['0', 0],
    ['500ms', 500],
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['168h', 168 * HOUR_MS],
    ['7d', 168 * HOUR_MS],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
  ])('reads the duration %s as %d ms', (text, expected) => {
    expect(load(['--retention', text]).values.retention).toBe(expected);
  });

  it('turns a disableable option off with an empty value, from any layer', () => {
    expect(load(['--metrics_port=']).values.metrics_port).toBeUndefined();
    expect(load([], { METRICS_PORT: '' }).values.metrics_port).toBeUndefined();
    expect(load(['--config_file', configFile('metrics_port:\n')]).values.metrics_port).toBeUndefined();
    expect(load(['--metrics_port=:9300'], { METRICS_PORT: '' }).values.metrics_port).toEqual({
      host: '0.0.0.0',
      port: 9300,
    });
  });

  it('leaves an option without a default unset when given empty', () => {
    expect(load([], { QUERY_TOKEN: '' }).values.query_token).toBeUndefined();
  });

  it('types the values from the declarations', () => {
    const { values } = load();
    expectTypeOf(values.collector_port).toEqualTypeOf<Address>();
    expectTypeOf(values.metrics_port).toEqualTypeOf<Address | undefined>();
    expectTypeOf(values.store).toEqualTypeOf<'embedded' | 'etcd'>();
    expectTypeOf(values.verbose).toEqualTypeOf<boolean>();
    expectTypeOf(values.retention).toEqualTypeOf<number>();
    expectTypeOf(values['etcd.endpoints']).toEqualTypeOf<readonly string[]>();
    expectTypeOf(values.query_token).toEqualTypeOf<string | undefined>();
    expect(values.store).toBe('embedded');
  });
});

describe('envName', () => {
  it.each([
    ['collector_port', 'COLLECTOR_PORT'],
    ['etcd.endpoints', 'ETCD_ENDPOINTS'],
    ['data_dir', 'DATA_DIR'],
    ['data-dir', 'DATA_DIR'],
    ['metrics_port', 'METRICS_PORT'],
    ['config_file', 'CONFIG_FILE'],
    ['privacy.rotation_hour', 'PRIVACY_ROTATION_HOUR'],
  ])('%s → %s', (name, expected) => {
    expect(envName(name)).toBe(expected);
  });
});

describe('ConfigError: one line naming the option, the source and the problem', () => {
  const cases: ReadonlyArray<[string, () => unknown, string, string | undefined, string]> = [
    [
      'a port that is not a number',
      () => load(['--collector_port', '90x0']),
      '--collector_port: "90x0" is not a port (use :9000 or host:9000)',
      'collector_port',
      'flag',
    ],
    [
      'a port above 65535',
      () => load(['--collector_port=:70000']),
      '--collector_port: port 70000 is out of range (0-65535)',
      'collector_port',
      'flag',
    ],
    [
      'an integer out of range from the environment',
      () => load([], { PRIVACY_ROTATION_HOUR: '24' }),
      'env PRIVACY_ROTATION_HOUR: 24 is out of range (0-23)',
      'privacy.rotation_hour',
      'env',
    ],
    [
      'a fraction for an integer',
      () => load(['--privacy.rotation_hour=3.5']),
      '--privacy.rotation_hour: "3.5" is not an integer',
      'privacy.rotation_hour',
      'flag',
    ],
    [
      'a bad boolean',
      () => load(['--verbose=maybe']),
      '--verbose: "maybe" is not a boolean (use true or false)',
      'verbose',
      'flag',
    ],
    [
      'a bad duration',
      () => load([], { RETENTION: '7 days' }),
      'env RETENTION: "7 days" is not a duration (use e.g. 30m, 168h, 7d)',
      'retention',
      'env',
    ],
    [
      'an empty list item',
      () => load(['--etcd.endpoints', 'a,,b']),
      '--etcd.endpoints: "a,,b" has an empty item',
      'etcd.endpoints',
      'flag',
    ],
    [
      'an empty value for an option that needs one',
      () => load(['--etcd.prefix=']),
      '--etcd.prefix: must not be empty',
      'etcd.prefix',
      'flag',
    ],
    [
      'an empty boolean',
      () => load([], { VERBOSE: '' }),
      'env VERBOSE: "" is not a boolean (use true or false)',
      'verbose',
      'env',
    ],
    [
      'a misspelt flag',
      () => load(['--colector_port', ':1']),
      'unknown flag --colector_port (did you mean --collector_port?)',
      'colector_port',
      'flag',
    ],
    ['an unknown flag', () => load(['--bogus']), 'unknown flag --bogus (see --help)', 'bogus', 'flag'],
    [
      'a flag without its value',
      () => load(['--collector_port']),
      '--collector_port: missing value',
      'collector_port',
      'flag',
    ],
    [
      'a flag followed by another flag instead of a value',
      () => load(['--etcd.prefix', '--verbose']),
      '--etcd.prefix: missing value',
      'etcd.prefix',
      'flag',
    ],
    [
      'a positional argument',
      () => load(['serve']),
      'unexpected argument "serve" (options are written --name value)',
      undefined,
      'flag',
    ],
    [
      'a missing config file',
      () => load(['--config_file', '/nonexistent/cq.yaml']),
      '--config_file: cannot read "/nonexistent/cq.yaml": no such file',
      'config_file',
      'file',
    ],
  ];

  it.each(cases)('%s', (_label, run, message, option, source) => {
    const error = configError(run);
    expect(error.message).toBe(message);
    expect(error.option).toBe(option);
    expect(error.source).toBe(source);
    expect(error.message).not.toContain('\n');
  });

  it('names the file and the option for a bad value in the file', () => {
    const path = configFile('store: etc\n');
    const error = configError(() => load(['--config_file', path]));
    expect(error.message).toBe(`config file ${path}: store: "etc" is not one of: embedded, etcd`);
    expect([error.option, error.source]).toEqual(['store', 'file']);
  });

  it('rejects an unknown key in the file, nested or dotted, with a suggestion', () => {
    const nested = configFile('etcd:\n  prefx: x\n');
    expect(configError(() => load(['--config_file', nested])).message).toBe(
      `config file ${nested}: unknown option "etcd.prefx" (did you mean etcd.prefix?)`,
    );
    const dotted = configFile('collector_prot: ":1"\n');
    expect(configError(() => load(['--config_file', dotted])).message).toBe(
      `config file ${dotted}: unknown option "collector_prot" (did you mean collector_port?)`,
    );
    const unrelated = configFile('colour: blue\n');
    expect(configError(() => load(['--config_file', unrelated])).message).toBe(
      `config file ${unrelated}: unknown option "colour" (see --help)`,
    );
  });

  it('rejects a list where one value is expected, and a mapping for a value', () => {
    const list = configFile('store: [etcd]\n');
    expect(configError(() => load(['--config_file', list])).message).toBe(
      `config file ${list}: store: expected a single value, got a list`,
    );
    const mapping = configFile('etcd:\n  prefix: {a: 1}\n');
    expect(configError(() => load(['--config_file', mapping])).message).toBe(
      `config file ${mapping}: etcd.prefix: expected a value, got a mapping`,
    );
  });

  it('rejects an option given both nested and dotted in one file', () => {
    const path = configFile('etcd:\n  prefix: a\netcd.prefix: b\n');
    expect(configError(() => load(['--config_file', path])).message).toBe(
      `config file ${path}: etcd.prefix: given twice (nested and dotted)`,
    );
  });

  it('rejects a file that is not YAML, or not a mapping', () => {
    const broken = configFile('etcd: [unclosed\n');
    expect(configError(() => load(['--config_file', broken])).message).toMatch(
      new RegExp(`^config file ${broken}: invalid YAML: .+`),
    );
    const scalar = configFile('just text\n');
    expect(configError(() => load(['--config_file', scalar])).message).toBe(
      `config file ${scalar}: expected a mapping of option names to values`,
    );
  });

  it('never quotes a secret value', () => {
    const secretOptions = defineOptions([
      { name: 'pin', kind: 'integer', secret: true, description: 'A secret number.' },
    ]);
    const error = configError(() => loadConfig(secretOptions, input(['--pin=12ab34'])));
    expect(error.message).toBe('--pin: the value is not an integer');
    const keyOptions = defineOptions([
      {
        name: 'privacy.key',
        kind: 'string',
        secret: true,
        check: (text) => (text.length < 8 ? `too short: ${text.length} characters` : undefined),
        description: 'A key.',
      },
    ]);
    const keyError = configError(() => loadConfig(keyOptions, input([], { PRIVACY_KEY: 'c2hvcnQ' })));
    expect(keyError.message).toBe('env PRIVACY_KEY: too short: 7 characters');
    expect(keyError.message).not.toContain('c2hvcnQ');
  });
});

describe('declarations', () => {
  it('refuses a name declared twice, and a bad default, as programming errors', () => {
    const twice = defineOptions([
      { name: 'a', kind: 'string', description: 'A.' },
      { name: 'a', kind: 'string', description: 'A again.' },
    ]);
    expect(() => loadConfig(twice, input())).toThrow('option a is declared twice');
    const badDefault = defineOptions([{ name: 'port', kind: 'address', default: 'x', description: 'P.' }]);
    expect(() => loadConfig(badDefault, input())).toThrow(
      'option port: invalid default: "x" is not a port (use :9000 or host:9000)',
    );
  });
});

describe('loggableConfig', () => {
  it('hides secrets and writes addresses as host:port', () => {
    const { values } = load(['--query_token', 'sekrit', '--collector_port', '[::1]:9000']);
    const shown = loggableConfig(options, values);
    expect(shown['query_token']).toBe('[hidden]');
    expect(shown['collector_port']).toBe('[::1]:9000');
    expect(shown['store']).toBe('embedded');
    expect(JSON.stringify(shown)).not.toContain('sekrit');
  });
});
