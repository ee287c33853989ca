import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import Ajv from 'ajv';
import { parse, parseAllDocuments } from 'yaml';

/** A Helm chart as read from disk: what the checks look at, since no `helm` runs here. */
export interface HelmChart {
  readonly directory: string;
  readonly chart: Record<string, unknown>;
  readonly values: Record<string, unknown>;
  readonly schema: Record<string, unknown>;
  /** Template file name (relative to templates/, e.g. `tests/test-health.yaml`) to its text. */
  readonly templates: ReadonlyMap<string, string>;
}

export function readHelmChart(directory: string): HelmChart {
  const templatesDirectory = join(directory, 'templates');
  const templates = new Map(
    readdirSync(templatesDirectory, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(templatesDirectory, join(entry.parentPath, entry.name)).split(sep).join('/'))
      .sort()
      .map((file) => [file, readFileSync(join(templatesDirectory, file), 'utf8')] as const),
  );
  return {
    directory,
    chart: parseYamlObject(readFileSync(join(directory, 'Chart.yaml'), 'utf8'), 'Chart.yaml'),
    values: parseYamlObject(readFileSync(join(directory, 'values.yaml'), 'utf8'), 'values.yaml'),
    schema: JSON.parse(readFileSync(join(directory, 'values.schema.json'), 'utf8')) as Record<
      string,
      unknown
    >,
    templates,
  };
}

/** The chart's values.schema.json, compiled once: values to one line per error (empty when they pass). */
export function schemaChecker(chart: HelmChart): (values: Record<string, unknown>) => string[] {
  const validate = new Ajv({ allErrors: true }).compile(chart.schema);
  return (values) => {
    validate(values);
    return (validate.errors ?? []).map((error) => `${error.dataPath} ${error.message ?? ''}`);
  };
}

export function schemaErrors(chart: HelmChart, values: Record<string, unknown>): string[] {
  return schemaChecker(chart)(values);
}

/**
 * The referenced paths the schema does not declare: each key must be a property of the schema at
 * that point (following `$ref`s to `#/definitions/...`), or fall under an `additionalProperties` schema.
 */
export function undeclaredSchemaPaths(
  schema: Record<string, unknown>,
  references: readonly string[][],
): string[] {
  const resolve = (node: unknown): unknown => {
    const reference = isPlainObject(node) ? node.$ref : undefined;
    if (typeof reference !== 'string') return node;
    const name = /^#\/definitions\/(.+)$/.exec(reference)?.[1] ?? '';
    const definitions = isPlainObject(schema.definitions) ? schema.definitions : {};
    return resolve(definitions[name]);
  };
  const declares = (path: readonly string[]): boolean => {
    let node = resolve(schema);
    for (const key of path) {
      if (!isPlainObject(node)) return false;
      const properties = isPlainObject(node.properties) ? node.properties : {};
      if (Object.hasOwn(properties, key)) node = resolve(properties[key]);
      else if (isPlainObject(node.additionalProperties)) node = resolve(node.additionalProperties);
      else return false;
    }
    return true;
  };
  return references.filter((path) => !declares(path)).map((path) => path.join('.'));
}

/** A rendered manifest: the template file it came from and the parsed object. */
export interface Manifest {
  readonly file: string;
  readonly kind: string;
  readonly name: string;
  readonly object: Record<string, unknown>;
}

/** Parses rendered templates (NOTES.txt aside) into their manifests; throws on YAML that does not parse. */
export function parseManifests(rendered: ReadonlyMap<string, string>): Manifest[] {
  return [...rendered].flatMap(([file, text]) => {
    if (file === 'NOTES.txt') return [];
    return parseAllDocuments(text).flatMap((document) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]?.message ?? ''}`);
      const object: unknown = document.toJS();
      if (object === null) return [];
      if (!isPlainObject(object)) throw new Error(`${file}: a document that is not a mapping`);
      const metadata = isPlainObject(object.metadata) ? object.metadata : {};
      return [{ file, kind: String(object.kind), name: String(metadata.name), object }];
    });
  });
}

export function parseYamlObject(text: string, source: string): Record<string, unknown> {
  const parsed: unknown = parse(text);
  if (!isPlainObject(parsed)) throw new Error(`${source} must hold a YAML mapping at its top level`);
  return parsed;
}

/** Every `.Values.a.b` path a template names (also `$.Values...`), as key lists, without duplicates. */
export function valueReferences(template: string): string[][] {
  const paths = new Set<string>();
  for (const match of template.matchAll(/\.Values((?:\.[A-Za-z0-9_]+)+)/g)) {
    paths.add((match[1] ?? '').slice(1));
  }
  return [...paths].sort().map((path) => path.split('.'));
}

/** The referenced paths that do not lead to a value in `values` (a null or empty value still counts as present). */
export function missingValuePaths(
  values: Record<string, unknown>,
  references: readonly string[][],
): string[] {
  return references.filter((path) => !hasPath(values, path)).map((path) => path.join('.'));
}

function hasPath(values: Record<string, unknown>, path: readonly string[]): boolean {
  let current: unknown = values;
  for (const key of path) {
    if (!isPlainObject(current) || !Object.hasOwn(current, key)) return false;
    current = current[key];
  }
  return true;
}

/**
 * Unbalanced template blocks: each `if`/`range`/`with`/`define`/`block` must be closed by an `end`.
 * Returns a description of the first imbalance, or undefined when the blocks pair up.
 */
export function unbalancedBlocks(template: string): string | undefined {
  let depth = 0;
  for (const action of template.matchAll(/\{\{-?\s*(if|range|with|define|block|end)\b/g)) {
    depth += action[1] === 'end' ? -1 : 1;
    if (depth < 0) return `an {{ end }} without an opening block at offset ${action.index}`;
  }
  return depth === 0 ? undefined : `${depth} block(s) never closed by {{ end }}`;
}

/** Helm's merge of a values file over the chart defaults: mappings merge key by key, anything else replaces. */
export function mergeValues(
  defaults: Record<string, unknown>,
  overrides: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, override] of Object.entries(overrides)) {
    const base = merged[key];
    merged[key] = isPlainObject(base) && isPlainObject(override) ? mergeValues(base, override) : override;
  }
  return merged;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
