import { closestName } from './closest-name';
import { parse as parseYaml } from 'yaml';
import { formatAddress, parseAddress, type Address } from './address';
import { parseDuration } from './duration';

/**
 * Configuration declared once, as data, and layered:
 * defaults < YAML file (`--config_file`) < environment < flags.
 * The same declarations drive `--help` and the README's option table (config-help.ts).
 */

export type OptionKind = 'address' | 'string' | 'integer' | 'boolean' | 'list' | 'enum' | 'path' | 'duration';

/** What each kind of option parses to. */
export interface OptionKindValues {
  /** `:9000` or `host:9000`; see address.ts. */
  address: Address;
  string: string;
  integer: number;
  /** `--flag`, `--flag=false`; `true|false|1|0|yes|no` from env and file. */
  boolean: boolean;
  /** Comma-separated (`a,b`), repeated flags, or a YAML sequence. */
  list: readonly string[];
  /** One of the declared `choices`. */
  enum: string;
  /** A file or directory path, kept as written (relative paths stay relative to the process). */
  path: string;
  /** Whole milliseconds, written `30m`, `168h`, `7d`, `1h30m`, `500ms`. */
  duration: number;
}

interface OptionFields<K extends OptionKind> {
  /** The flag name without dashes, as in the original: `collector_port`, `etcd.prefix`. */
  readonly name: string;
  readonly kind: K;
  /** One sentence for `--help` and the README. */
  readonly description: string;
  /**
   * The default, written as on the command line (`':9000'`, `'168h'`, `'a,b'`, `'3'`).
   * Without one the option is `undefined` until given (booleans default to false).
   */
  readonly default?: string;
  /** A credential: its value is never printed in help, errors or `loggableConfig`. */
  readonly secret?: boolean;
  /**
   * A bearer token clients present on a port. No two tokens of one server may be equal:
   * a client holding one would act as the other.
   */
  readonly bearerToken?: boolean;
  /** An empty value (`--metrics_port=`, `METRICS_PORT=`) turns the option off (`undefined`) despite its default. */
  readonly disableable?: boolean;
  /**
   * An empty or blank value (`TOKEN=`, `--token=`, `token:` in YAML) is an error instead
   * of leaving the option unset: for credentials, where "unset" means "no auth" and an
   * empty Kubernetes secret must not silently turn auth off.
   */
  readonly nonEmpty?: boolean;
  /** Extra validation after parsing: returns what is wrong, or undefined. Must not quote a secret. */
  readonly check?: (value: OptionKindValues[K]) => string | undefined;
}

export interface IntegerOption extends OptionFields<'integer'> {
  readonly min?: number;
  readonly max?: number;
}

export interface EnumOption extends OptionFields<'enum'> {
  readonly choices: readonly string[];
}

export type OptionDeclaration =
  | OptionFields<'address'>
  | OptionFields<'string'>
  | IntegerOption
  | OptionFields<'boolean'>
  | OptionFields<'list'>
  | EnumOption
  | OptionFields<'path'>
  | OptionFields<'duration'>;

type ValueOf<D extends OptionDeclaration> = D extends {
  readonly kind: 'enum';
  readonly choices: readonly (infer C)[];
}
  ? C
  : OptionKindValues[D['kind']];

type AlwaysSet<D extends OptionDeclaration> = D extends { readonly kind: 'boolean' }
  ? true
  : D extends { readonly disableable: true }
    ? false
    : D extends { readonly default: string }
      ? true
      : false;

/** The loaded values, keyed and typed by the declarations (`undefined` where an option may be unset). */
export type ConfigValues<Ds extends readonly OptionDeclaration[]> = {
  readonly [D in Ds[number] as D['name']]: AlwaysSet<D> extends true ? ValueOf<D> : ValueOf<D> | undefined;
};

/**
 * Identity function that keeps the literal types of a declaration list, so
 * `loadConfig` can type its result: `defineOptions([{ name: 'store', kind: 'enum', ... }])`.
 */
export function defineOptions<const Ds extends readonly OptionDeclaration[]>(declarations: Ds): Ds {
  return declarations;
}

export type ConfigSource = 'default' | 'file' | 'env' | 'flag';

/** Invalid configuration. The message is one line naming the option, where it came from, and what is wrong. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly option: string | undefined;
  readonly source: ConfigSource | undefined;

  constructor(message: string, details: { option?: string; source?: ConfigSource } = {}) {
    super(message);
    this.option = details.option;
    this.source = details.source;
  }
}

/** Built in to every program: where the YAML file is (`--config_file`, `CONFIG_FILE`). */
export const configFileOption: OptionDeclaration = {
  name: 'config_file',
  kind: 'path',
  description:
    'YAML file of option values; keys are option names, nested (etcd: {prefix: x}) or dotted (etcd.prefix: x).',
};

/** The environment variable of an option: upper case, dots and dashes as underscores (`etcd.endpoints` → `ETCD_ENDPOINTS`). */
export function envName(optionName: string): string {
  return optionName.toUpperCase().replace(/[.-]/g, '_');
}

export interface ConfigInput {
  /** The arguments after node and the script: `process.argv.slice(2)`. */
  readonly argv: readonly string[];
  /** Usually `process.env`. Variables that name no option are ignored. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads `--config_file` as UTF-8 text, e.g. `(path) => readFileSync(path, 'utf8')`. */
  readonly readFile: (path: string) => string;
}

export type LoadedConfig<Ds extends readonly OptionDeclaration[]> =
  | { readonly help: true }
  | {
      readonly help: false;
      readonly values: ConfigValues<Ds>;
      /** Which layer each option's value came from. */
      readonly sources: Readonly<Record<string, ConfigSource>>;
      readonly configFile: string | undefined;
    };

/**
 * Loads the declared options from defaults, the YAML file, the environment and the
 * flags, in rising precedence. Returns `{ help: true }` when `--help` or `-h` is
 * among the arguments (print `formatHelp(...)` and exit 0). Every value given in any
 * layer is validated; the first problem throws a ConfigError.
 */
export function loadConfig<const Ds extends readonly OptionDeclaration[]>(
  declarations: Ds,
  input: ConfigInput,
): LoadedConfig<Ds> {
  const known = indexDeclarations(declarations);
  if (input.argv.some((arg) => arg === '--help' || arg === '-h')) {
    return { help: true };
  }
  const flags = readFlags(input.argv, known);
  const configFile = readConfigFilePath(flags, input.env);
  const file =
    configFile === undefined
      ? new Map<string, RawValue>()
      : readConfigFile(configFile, input.readFile, known);

  const values: Record<string, unknown> = {};
  const sources: Record<string, ConfigSource> = {};
  for (const declaration of declarations) {
    const layers: ReadonlyArray<[ConfigSource, RawValue | undefined, string]> = [
      ['file', file.get(declaration.name), `config file ${configFile ?? ''}: ${declaration.name}`],
      ['env', input.env[envName(declaration.name)], `env ${envName(declaration.name)}`],
      ['flag', flags.get(declaration.name), `--${declaration.name}`],
    ];
    let value = defaultValue(declaration);
    let source: ConfigSource = 'default';
    for (const [layer, raw, where] of layers) {
      if (raw !== undefined) {
        value = convert(declaration, raw, where, layer);
        source = layer;
      }
    }
    values[declaration.name] = value;
    sources[declaration.name] = source;
  }
  return { help: false, values: values as ConfigValues<Ds>, sources, configFile };
}

/**
 * The values of `declarations` out of a larger set loaded with them (`loadConfig` of a
 * list that includes them): what a server part receives of the server's config.
 *
 * @throws Error when one of them was not loaded, a bug in how the server was composed
 */
export function pickConfig<const Ds extends readonly OptionDeclaration[]>(
  declarations: Ds,
  loaded: Readonly<Record<string, unknown>>,
): ConfigValues<Ds> {
  const picked: Record<string, unknown> = {};
  for (const declaration of declarations) {
    if (!(declaration.name in loaded)) throw new Error(`option ${declaration.name} was not loaded`);
    picked[declaration.name] = loaded[declaration.name];
  }
  return picked as ConfigValues<Ds>;
}

/**
 * The values as they may be logged at startup: secrets replaced by `[hidden]`,
 * addresses written `host:port`.
 */
export function loggableConfig<Ds extends readonly OptionDeclaration[]>(
  declarations: Ds,
  values: ConfigValues<Ds>,
): Record<string, unknown> {
  const all = values as Readonly<Record<string, unknown>>;
  const shown: Record<string, unknown> = {};
  for (const declaration of declarations) {
    const value = all[declaration.name];
    if (value !== undefined && declaration.secret === true) {
      shown[declaration.name] = '[hidden]';
    } else if (value !== undefined && declaration.kind === 'address') {
      shown[declaration.name] = formatAddress(value as Address);
    } else {
      shown[declaration.name] = value;
    }
  }
  return shown;
}

/** A value as one layer gave it: text, or several items (repeated list flags, a YAML sequence). */
type RawValue = string | readonly string[];

function indexDeclarations(
  declarations: readonly OptionDeclaration[],
): ReadonlyMap<string, OptionDeclaration> {
  const known = new Map<string, OptionDeclaration>([[configFileOption.name, configFileOption]]);
  for (const declaration of declarations) {
    if (!/^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$/.test(declaration.name)) {
      throw new Error(
        `option name ${JSON.stringify(declaration.name)} must be lower-case words joined by . _ or -`,
      );
    }
    if (known.has(declaration.name)) {
      throw new Error(`option ${declaration.name} is declared twice`);
    }
    known.set(declaration.name, declaration);
  }
  return known;
}

function readFlags(
  argv: readonly string[],
  known: ReadonlyMap<string, OptionDeclaration>,
): Map<string, RawValue> {
  const flags = new Map<string, RawValue>();
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] ?? '';
    if (!arg.startsWith('--') || arg === '--') {
      throw new ConfigError(`unexpected argument ${JSON.stringify(arg)} (options are written --name value)`, {
        source: 'flag',
      });
    }
    const body = arg.slice(2);
    const equals = body.indexOf('=');
    const name = equals < 0 ? body : body.slice(0, equals);
    const declaration = known.get(name);
    if (declaration === undefined) {
      throw new ConfigError(`unknown flag --${name} (${suggestion(name, [...known.keys()], '--')})`, {
        option: name,
        source: 'flag',
      });
    }
    let value: string;
    if (equals >= 0) {
      value = body.slice(equals + 1);
    } else if (declaration.kind === 'boolean') {
      value = 'true';
    } else {
      const next = argv[index + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new ConfigError(`--${name}: missing value`, { option: name, source: 'flag' });
      }
      value = next;
      index += 1;
    }
    const earlier = flags.get(name);
    // Repeated list flags add up; any other repeated flag keeps its last value.
    flags.set(
      name,
      declaration.kind === 'list' && earlier !== undefined
        ? [...listItems(earlier), ...listItems(value)]
        : value,
    );
  }
  return flags;
}

function readConfigFilePath(
  flags: ReadonlyMap<string, RawValue>,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const path = flags.get(configFileOption.name) ?? env[envName(configFileOption.name)];
  return typeof path === 'string' && path !== '' ? path : undefined;
}

function readConfigFile(
  path: string,
  readFile: (path: string) => string,
  known: ReadonlyMap<string, OptionDeclaration>,
): Map<string, RawValue> {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errorMessage(error);
    throw new ConfigError(`--config_file: cannot read ${JSON.stringify(path)}: ${reason}`, {
      option: configFileOption.name,
      source: 'file',
    });
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`config file ${path}: invalid YAML: ${errorMessage(error).split('\n')[0] ?? ''}`, {
      source: 'file',
    });
  }
  const values = new Map<string, RawValue>();
  if (document === null || document === undefined) {
    return values;
  }
  if (!isMapping(document)) {
    throw new ConfigError(`config file ${path}: expected a mapping of option names to values`, {
      source: 'file',
    });
  }
  flattenYaml(document, '', path, known, values);
  return values;
}

function flattenYaml(
  mapping: Readonly<Record<string, unknown>>,
  prefix: string,
  path: string,
  known: ReadonlyMap<string, OptionDeclaration>,
  values: Map<string, RawValue>,
): void {
  for (const [key, value] of Object.entries(mapping)) {
    const name = `${prefix}${key}`;
    const declaration = name === configFileOption.name ? undefined : known.get(name);
    const where = `config file ${path}: ${name}`;
    if (declaration !== undefined) {
      if (values.has(name)) {
        throw new ConfigError(`${where}: given twice (nested and dotted)`, { option: name, source: 'file' });
      }
      values.set(name, yamlValue(declaration, value, where));
    } else if (isMapping(value)) {
      flattenYaml(value, `${name}.`, path, known, values);
    } else {
      const names = [...known.keys()].filter((candidate) => candidate !== configFileOption.name);
      throw new ConfigError(
        `config file ${path}: unknown option ${JSON.stringify(name)} (${suggestion(name, names, '')})`,
        {
          option: name,
          source: 'file',
        },
      );
    }
  }
}

function yamlValue(declaration: OptionDeclaration, value: unknown, where: string): RawValue {
  const problem = (what: string) =>
    new ConfigError(`${where}: ${what}`, { option: declaration.name, source: 'file' });
  if (value === null) {
    return '';
  }
  if (Array.isArray(value)) {
    if (declaration.kind !== 'list') {
      throw problem('expected a single value, got a list');
    }
    return value.map((item: unknown) => {
      if (isMapping(item) || Array.isArray(item) || item === null) {
        throw problem('list items must be plain values');
      }
      return String(item);
    });
  }
  if (isMapping(value)) {
    throw problem('expected a value, got a mapping');
  }
  return String(value);
}

function defaultValue(declaration: OptionDeclaration): unknown {
  if (declaration.default === undefined) {
    return declaration.kind === 'boolean' ? false : undefined;
  }
  try {
    return parseValue(declaration, declaration.default);
  } catch (error) {
    throw new Error(`option ${declaration.name}: invalid default: ${errorMessage(error)}`);
  }
}

function convert(
  declaration: OptionDeclaration,
  raw: RawValue,
  where: string,
  source: ConfigSource,
): unknown {
  try {
    if (declaration.nonEmpty === true && listItems(raw).every((item) => item.trim() === '')) {
      throw new Error('must not be empty (leave it unset instead)');
    }
    if (raw === '' && declaration.kind !== 'boolean') {
      if (declaration.default === undefined || declaration.disableable === true) {
        return undefined;
      }
      throw new Error('must not be empty');
    }
    return parseValue(declaration, raw);
  } catch (error) {
    const message = errorMessage(error);
    // A secret's value never appears in an error, even quoted by a parser.
    const shown =
      declaration.secret === true && typeof raw === 'string'
        ? message.replaceAll(JSON.stringify(raw), 'the value')
        : message;
    throw new ConfigError(`${where}: ${shown}`, { option: declaration.name, source });
  }
}

function parseValue(declaration: OptionDeclaration, raw: RawValue): unknown {
  if (declaration.kind === 'list') {
    const items = listItems(raw).map((item) => item.trim());
    if (items.some((item) => item === '')) {
      throw new Error(`${JSON.stringify(Array.isArray(raw) ? raw.join(',') : raw)} has an empty item`);
    }
    return checked(declaration, items);
  }
  const text = typeof raw === 'string' ? raw : raw.join(',');
  switch (declaration.kind) {
    case 'address':
      return checked(declaration, parseAddress(text));
    case 'string':
      return checked(declaration, text);
    case 'path':
      if (text.includes('\0')) {
        throw new Error('a path cannot contain a NUL character');
      }
      return checked(declaration, text);
    case 'integer':
      return checked(declaration, parseInteger(declaration, text));
    case 'boolean':
      return checked(declaration, parseBoolean(text));
    case 'enum':
      if (!declaration.choices.includes(text)) {
        throw new Error(`${JSON.stringify(text)} is not one of: ${declaration.choices.join(', ')}`);
      }
      return checked(declaration, text);
    case 'duration':
      return checked(declaration, parseDuration(text));
  }
}

function checked<K extends OptionKind>(
  declaration: OptionFields<K>,
  value: OptionKindValues[K],
): OptionKindValues[K] {
  const problem = declaration.check?.(value);
  if (problem !== undefined) {
    throw new Error(problem);
  }
  return value;
}

function parseInteger(declaration: IntegerOption, text: string): number {
  const value = Number(text);
  if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new Error(`${JSON.stringify(text)} is not an integer`);
  }
  const min = declaration.min ?? Number.MIN_SAFE_INTEGER;
  const max = declaration.max ?? Number.MAX_SAFE_INTEGER;
  if (value < min || value > max) {
    throw new Error(`${value} is out of range (${rangeText(declaration)})`);
  }
  return value;
}

/** `0-23`, `at least 1`, `at most 10`, or '' for an unbounded integer. */
export function rangeText(declaration: IntegerOption): string {
  if (declaration.min !== undefined && declaration.max !== undefined) {
    return `${declaration.min}-${declaration.max}`;
  }
  if (declaration.min !== undefined) {
    return `at least ${declaration.min}`;
  }
  return declaration.max === undefined ? '' : `at most ${declaration.max}`;
}

function parseBoolean(text: string): boolean {
  const lower = text.toLowerCase();
  if (lower === 'true' || lower === '1' || lower === 'yes') {
    return true;
  }
  if (lower === 'false' || lower === '0' || lower === 'no') {
    return false;
  }
  throw new Error(`${JSON.stringify(text)} is not a boolean (use true or false)`);
}

function listItems(raw: RawValue): readonly string[] {
  return typeof raw === 'string' ? raw.split(',') : raw;
}

function isMapping(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** "did you mean --collector_port?" for a near miss, else a pointer to --help. */
function suggestion(name: string, candidates: readonly string[], prefix: string): string {
  const best = closestName(name, candidates);
  return best === undefined ? 'see --help' : `did you mean ${prefix}${best}?`;
}
