import { closestName } from '@message-bus/server-kit';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ConnectionSettings } from './grpc-connection';
import { InputError } from '../input-error';
import { tlsSettings, type SourcedValue } from './tls';

export const DEFAULT_COLLECTOR_HOST = '127.0.0.1:9000';
export const DEFAULT_QUERY_HOST = '127.0.0.1:8000';

/** The keys of the config file are the global flags' names, with the type of each. */
const CONFIG_KEYS = {
  collector_host: 'string',
  query_host: 'string',
  token: 'string',
  collector_token: 'string',
  query_token: 'string',
  tls: 'boolean',
  tls_ca_file: 'string',
  tls_server_name: 'string',
} as const;

type ConfigKey = keyof typeof CONFIG_KEYS;
type ConfigValue<K extends ConfigKey> = (typeof CONFIG_KEYS)[K] extends 'boolean' ? boolean : string;

/** What a config file set; `tls_ca_file` is already resolved against the file's directory. */
export type ConfigFileSettings = { readonly [K in ConfigKey]?: ConfigValue<K> };

export interface ConfigFile {
  readonly path: string;
  readonly settings: ConfigFileSettings;
}

/**
 * The global flags as oclif parsed them: from the command line, else from their
 * environment variable, else undefined (they have no oclif default, so a config file
 * value is not masked by one).
 */
export interface GlobalFlagValues {
  readonly collector_host?: string | undefined;
  readonly query_host?: string | undefined;
  readonly token?: string | undefined;
  readonly collector_token?: string | undefined;
  readonly query_token?: string | undefined;
  readonly tls?: boolean | undefined;
  readonly tls_ca_file?: string | undefined;
  readonly tls_server_name?: string | undefined;
}

/**
 * Reads mbcli's YAML config file. A missing file is no error unless the operator named
 * it (`--config`, `MBCLI_CONFIG`); anything else wrong is one line naming the file, the
 * key and why. Values never appear in an error: the file may hold the token.
 */
export function readConfigFile(path: string, named: boolean): ConfigFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !named) return undefined;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'a directory'
            : String(error);
    throw new InputError(`config file ${path}: cannot read it (${reason}); check --config (or MBCLI_CONFIG)`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    // The yaml parser's first line says what and where; the lines after quote the file.
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]?.replace(/:$/, '');
    throw new InputError(`config file ${path}: invalid YAML: ${reason}`);
  }
  if (document === null || document === undefined) return { path, settings: {} };
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new InputError(`config file ${path}: expected a mapping of settings (${keyList()})`);
  }
  const settings: Record<string, string | boolean> = {};
  for (const [key, value] of Object.entries(document)) {
    if (!isConfigKey(key)) {
      const near = closestName(key, Object.keys(CONFIG_KEYS));
      const hint = near === undefined ? `the keys are ${keyList()}` : `did you mean ${near}?`;
      throw new InputError(`config file ${path}: unknown key ${JSON.stringify(key)} (${hint})`);
    }
    settings[key] = checkedValue(path, key, value);
  }
  if (typeof settings['tls_ca_file'] === 'string') {
    settings['tls_ca_file'] = resolve(dirname(path), settings['tls_ca_file']);
  }
  return { path, settings: settings as ConfigFileSettings };
}

function checkedValue(path: string, key: ConfigKey, value: unknown): string | boolean {
  const expected = CONFIG_KEYS[key];
  const problem = (what: string) => new InputError(`config file ${path}: ${key}: ${what}`);
  if (expected === 'boolean') {
    if (typeof value !== 'boolean') throw problem(`expected true or false, got ${describeType(value)}`);
    return value;
  }
  if (typeof value !== 'string') throw problem(`expected a string, got ${describeType(value)}`);
  if (value.trim() === '') throw problem('is empty');
  return value;
}

/**
 * Each global setting from the first layer that gives it: flag, environment, config
 * file, default. A service's own token, from any layer, beats `token`, which only fills
 * in for a service whose token is not given.
 */
export function resolveConnectionSettings(
  flags: GlobalFlagValues,
  file: ConfigFile | undefined,
): ConnectionSettings {
  const fromFile = file?.settings ?? {};
  const caFile: SourcedValue<string> | undefined =
    flags.tls_ca_file !== undefined
      ? { value: resolve(flags.tls_ca_file), source: '--tls_ca_file (or MBCLI_TLS_CA_FILE)' }
      : fromFile.tls_ca_file !== undefined
        ? { value: fromFile.tls_ca_file, source: `config file ${file?.path}: tls_ca_file` }
        : undefined;
  const token = flags.token ?? fromFile.token;
  return {
    collectorHost: flags.collector_host ?? fromFile.collector_host ?? DEFAULT_COLLECTOR_HOST,
    queryHost: flags.query_host ?? fromFile.query_host ?? DEFAULT_QUERY_HOST,
    collectorToken: flags.collector_token ?? fromFile.collector_token ?? token,
    queryToken: flags.query_token ?? fromFile.query_token ?? token,
    tls: tlsSettings({
      tls: flags.tls ?? fromFile.tls,
      caFile,
      serverName: flags.tls_server_name ?? fromFile.tls_server_name,
    }),
  };
}

function isConfigKey(key: string): key is ConfigKey {
  return Object.hasOwn(CONFIG_KEYS, key);
}

function keyList(): string {
  return Object.keys(CONFIG_KEYS).join(', ');
}

function describeType(value: unknown): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}
