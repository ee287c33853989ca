import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { isPlainObject, type HelmChart } from './helm-chart';

/**
 * A small evaluator of the Go-template subset the charts use, since no `helm` runs here: enough to
 * render every template with a set of values and parse the manifests. Actions `{{ }}` with `-` trims
 * and comments; `if`/`else if`/`else`, `with`, `range` (lists and maps, with `$k, $v :=`), `define`
 * and `include`; variables; pipelines; and the functions in `templateFunctions`. Anything else
 * throws, naming it, so a template that strays from the subset fails loudly instead of rendering
 * wrong. Like Helm, a missing map key reads as nil, and a field of nil is an error.
 */

type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'action'; readonly pipeline: Pipeline }
  | {
      readonly kind: 'if';
      readonly branches: readonly { condition: Pipeline; body: Node[] }[];
      readonly otherwise: Node[];
    }
  | { readonly kind: 'with'; readonly pipeline: Pipeline; readonly body: Node[]; readonly otherwise: Node[] }
  | {
      readonly kind: 'range';
      readonly pipeline: Pipeline;
      readonly body: Node[];
      readonly otherwise: Node[];
    };

interface Pipeline {
  /** `$x :=` or `$k, $v :=` before the commands. */
  readonly declared: readonly string[];
  readonly commands: readonly Operand[][];
  readonly source: string;
}

type Operand =
  | { readonly kind: 'literal'; readonly value: unknown }
  | { readonly kind: 'field'; readonly base: 'dot' | string; readonly path: readonly string[] }
  | { readonly kind: 'function'; readonly name: string }
  | { readonly kind: 'group'; readonly pipeline: Pipeline };

/** A parsed action or text, before the blocks are nested. */
type Piece =
  { readonly kind: 'text'; readonly text: string } | { readonly kind: 'tag'; readonly body: string };

/** Named templates (`define`, and each file under its path) of one chart. */
type TemplateSet = ReadonlyMap<string, Node[]>;

interface Scope {
  readonly dot: unknown;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly templates: TemplateSet;
}

/** The built-in objects a chart's templates see, besides `.Values`. */
export interface RenderContext {
  readonly releaseName: string;
  readonly namespace: string;
}

/** Renders every template of the chart; returns file name to output (files starting with `_` excluded). */
export function renderChart(
  chart: HelmChart,
  values: Record<string, unknown>,
  context: RenderContext,
): Map<string, string> {
  const chartName = String(chart.chart.name);
  const basePath = `${chartName}/templates`;
  const templates = new Map<string, Node[]>();
  for (const [file, text] of chart.templates) {
    templates.set(`${basePath}/${file}`, parseTemplate(text, templates, `${basePath}/${file}`));
  }
  const rendered = new Map<string, string>();
  for (const file of chart.templates.keys()) {
    if (file.split('/').at(-1)?.startsWith('_')) continue;
    const root = {
      Values: values,
      Chart: { Name: chartName, Version: chart.chart.version, AppVersion: chart.chart.appVersion },
      Release: {
        Name: context.releaseName,
        Namespace: context.namespace,
        Service: 'Helm',
        IsInstall: true,
        IsUpgrade: false,
      },
      Template: { BasePath: basePath, Name: `${basePath}/${file}` },
    };
    rendered.set(file, renderNamed(`${basePath}/${file}`, root, templates));
  }
  return rendered;
}

/** Renders one template text with `data` as dot (for the evaluator's own tests). */
export function renderTemplate(text: string, data: unknown): string {
  const templates = new Map<string, Node[]>();
  templates.set('main', parseTemplate(text, templates, 'main'));
  return renderNamed('main', data, templates);
}

function renderNamed(name: string, data: unknown, templates: TemplateSet): string {
  const nodes = templates.get(name);
  if (nodes === undefined) throw new Error(`no template named ${JSON.stringify(name)}`);
  return evaluateNodes(nodes, { dot: data, variables: { $: data }, templates });
}

// ---- parsing ----

/** Splits the text into text and actions, applying the `{{-` and `-}}` whitespace trims. */
function splitPieces(text: string): Piece[] {
  const pieces: Piece[] = [];
  let position = 0;
  let trimNextText = false;
  for (const match of text.matchAll(/\{\{(-\s)?([\s\S]*?)(\s-)?\}\}/g)) {
    let before = text.slice(position, match.index);
    if (trimNextText) before = before.replace(/^\s+/, '');
    if (match[1] !== undefined) before = before.replace(/\s+$/, '');
    pieces.push({ kind: 'text', text: before });
    pieces.push({ kind: 'tag', body: (match[2] ?? '').trim() });
    trimNextText = match[3] !== undefined;
    position = match.index + match[0].length;
  }
  const rest = text.slice(position);
  pieces.push({ kind: 'text', text: trimNextText ? rest.replace(/^\s+/, '') : rest });
  return pieces.filter((piece) => piece.kind === 'tag' || piece.text !== '');
}

/** Parses a template file; its `define`s go into `templates`. */
function parseTemplate(text: string, templates: Map<string, Node[]>, source: string): Node[] {
  const pieces = splitPieces(text);
  let index = 0;

  /** Parses nodes up to a closing `end` or `else…` tag, and returns it (undefined at the end of the text). */
  const parseNodes = (): { nodes: Node[]; closer: string | undefined } => {
    const nodes: Node[] = [];
    while (index < pieces.length) {
      const piece = pieces[index++] as Piece;
      if (piece.kind === 'text') {
        nodes.push(piece);
        continue;
      }
      const body = piece.body;
      if (body.startsWith('/*')) {
        if (!body.endsWith('*/')) throw new Error(`${source}: unclosed comment`);
        continue;
      }
      const keyword = /^(if|else|end|range|with|define|template|block)\b/.exec(body)?.[1];
      if (keyword === 'end' || keyword === 'else') return { nodes, closer: body };
      if (keyword === 'if') nodes.push(parseIf(body.slice(2).trim()));
      else if (keyword === 'with' || keyword === 'range') {
        const pipeline = parsePipeline(body.slice(keyword.length), source);
        const { body: blockBody, otherwise } = parseBlockBody(`${keyword} ${pipeline.source}`);
        nodes.push({ kind: keyword, pipeline, body: blockBody, otherwise });
      } else if (keyword === 'define') {
        const name = /^define\s+"([^"]+)"$/.exec(body)?.[1];
        if (name === undefined) throw new Error(`${source}: cannot read ${JSON.stringify(body)}`);
        const { nodes: defined, closer } = parseNodes();
        if (closer !== 'end') throw new Error(`${source}: define "${name}" is not closed by end`);
        templates.set(name, defined);
      } else if (keyword !== undefined) {
        throw new Error(`${source}: {{ ${keyword} }} is outside the supported subset`);
      } else {
        nodes.push({ kind: 'action', pipeline: parsePipeline(body, source) });
      }
    }
    return { nodes, closer: undefined };
  };

  const parseBlockBody = (opening: string): { body: Node[]; otherwise: Node[] } => {
    const { nodes: body, closer } = parseNodes();
    if (closer === 'end') return { body, otherwise: [] };
    if (closer !== 'else') throw new Error(`${source}: {{ ${opening} }} is not closed by end`);
    const { nodes: otherwise, closer: end } = parseNodes();
    if (end !== 'end') throw new Error(`${source}: {{ ${opening} }} ... else is not closed by end`);
    return { body, otherwise };
  };

  const parseIf = (conditionText: string): Node => {
    const branches: { condition: Pipeline; body: Node[] }[] = [];
    let condition = parsePipeline(conditionText, source);
    for (;;) {
      const { nodes: body, closer } = parseNodes();
      branches.push({ condition, body });
      if (closer === 'end') return { kind: 'if', branches, otherwise: [] };
      if (closer === 'else') {
        const { nodes: otherwise, closer: end } = parseNodes();
        if (end !== 'end') throw new Error(`${source}: if ... else is not closed by end`);
        return { kind: 'if', branches, otherwise };
      }
      const elseIf = closer === undefined ? undefined : /^else\s+if\s+([\s\S]+)$/.exec(closer)?.[1];
      if (elseIf === undefined) throw new Error(`${source}: if ${conditionText} is not closed by end`);
      condition = parsePipeline(elseIf, source);
    }
  };

  const { nodes, closer } = parseNodes();
  if (closer !== undefined) throw new Error(`${source}: {{ ${closer} }} without an opening block`);
  return nodes;
}

/** One token of an action: a string, `:=`, punctuation, a number, a variable, a field chain or a name. */
const TOKEN_PATTERN =
  /\s*(?:("(?:[^"\\]|\\.)*")|(`[^`]*`)|(:=)|([|(),])|(-?\d+(?:\.\d+)?)\b|(\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)|(\.(?:[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)?)|([A-Za-z_][A-Za-z0-9_]*))/;

function tokenize(text: string, source: string): string[] {
  const tokens: string[] = [];
  const sticky = new RegExp(TOKEN_PATTERN.source, 'y');
  while (text.slice(sticky.lastIndex).trim() !== '') {
    const position = sticky.lastIndex;
    const match = sticky.exec(text);
    if (match === null) throw new Error(`${source}: cannot read ${JSON.stringify(text.slice(position))}`);
    tokens.push(match[0].trim());
  }
  return tokens;
}

function parsePipeline(text: string, source: string): Pipeline {
  const tokens = tokenize(text, source);
  let index = 0;
  const declared: string[] = [];
  const assignment = tokens.indexOf(':=');
  if (assignment !== -1) {
    for (const token of tokens.slice(0, assignment)) {
      if (token !== ',' && !/^\$[A-Za-z0-9_]+$/.test(token)) {
        throw new Error(`${source}: cannot declare ${JSON.stringify(token)} in ${JSON.stringify(text)}`);
      }
      if (token !== ',') declared.push(token);
    }
    index = assignment + 1;
  }

  const readPipeline = (closing: string | undefined): Operand[][] => {
    const commands: Operand[][] = [[]];
    while (index < tokens.length) {
      const token = tokens[index++] as string;
      if (token === closing) return commands;
      const command = commands.at(-1) as Operand[];
      if (token === '|') commands.push([]);
      else if (token === '(') {
        const start = index;
        const inner = readPipeline(')');
        const innerSource = tokens.slice(start, index - 1).join(' ');
        command.push({ kind: 'group', pipeline: { declared: [], commands: inner, source: innerSource } });
      } else command.push(parseOperand(token, source));
    }
    if (closing !== undefined) throw new Error(`${source}: unclosed ( in ${JSON.stringify(text)}`);
    return commands;
  };

  const commands = readPipeline(undefined);
  if (commands.some((command) => command.length === 0)) {
    throw new Error(`${source}: empty command in ${JSON.stringify(text)}`);
  }
  return { declared, commands, source: text.trim() };
}

function parseOperand(token: string, source: string): Operand {
  if (token.startsWith('"')) return { kind: 'literal', value: JSON.parse(token) as string };
  if (token.startsWith('`')) return { kind: 'literal', value: token.slice(1, -1) };
  if (/^-?\d/.test(token)) return { kind: 'literal', value: Number(token) };
  if (token === 'true' || token === 'false') return { kind: 'literal', value: token === 'true' };
  if (token === 'nil') return { kind: 'literal', value: undefined };
  if (token === '.') return { kind: 'field', base: 'dot', path: [] };
  if (token.startsWith('.')) return { kind: 'field', base: 'dot', path: token.slice(1).split('.') };
  if (token.startsWith('$')) {
    const [variable = '$', ...path] = token.split('.');
    return { kind: 'field', base: variable, path };
  }
  if (/^[A-Za-z_]/.test(token)) return { kind: 'function', name: token };
  throw new Error(`${source}: unexpected ${JSON.stringify(token)}`);
}

// ---- evaluation ----

function evaluateNodes(nodes: readonly Node[], scope: Scope): string {
  let output = '';
  let variables = scope.variables;
  for (const node of nodes) {
    const current: Scope = { ...scope, variables };
    switch (node.kind) {
      case 'text':
        output += node.text;
        break;
      case 'action': {
        const value = evaluatePipeline(node.pipeline, current);
        if (node.pipeline.declared.length > 0) {
          variables = { ...variables, [node.pipeline.declared[0] as string]: value };
        } else output += printed(value, node.pipeline.source);
        break;
      }
      case 'if': {
        const branch = node.branches.find(({ condition }) => isTruthy(evaluatePipeline(condition, current)));
        output += evaluateNodes(branch?.body ?? node.otherwise, current);
        break;
      }
      case 'with': {
        const value = evaluatePipeline(node.pipeline, current);
        output += isTruthy(value)
          ? evaluateNodes(node.body, {
              ...current,
              dot: value,
              variables: declare(node.pipeline, current, [value]),
            })
          : evaluateNodes(node.otherwise, current);
        break;
      }
      case 'range':
        output += evaluateRange(node, current);
        break;
    }
  }
  return output;
}

function evaluateRange(node: Extract<Node, { kind: 'range' }>, scope: Scope): string {
  const collection = evaluatePipeline(node.pipeline, scope);
  const entries: [unknown, unknown][] = Array.isArray(collection)
    ? collection.map((item, index) => [index, item])
    : isPlainObject(collection)
      ? Object.keys(collection)
          .sort()
          .map((key) => [key, collection[key]])
      : isNil(collection)
        ? []
        : fail(`range over ${describe(collection)} in {{ range ${node.pipeline.source} }}`);
  if (entries.length === 0) return evaluateNodes(node.otherwise, scope);
  return entries
    .map(([key, item]) => {
      const bound = node.pipeline.declared.length === 2 ? [key, item] : [item];
      return evaluateNodes(node.body, {
        ...scope,
        dot: item,
        variables: declare(node.pipeline, scope, bound),
      });
    })
    .join('');
}

function declare(pipeline: Pipeline, scope: Scope, values: readonly unknown[]): Record<string, unknown> {
  const variables = { ...scope.variables };
  pipeline.declared.forEach((name, index) => {
    variables[name] = values[index];
  });
  return variables;
}

function evaluatePipeline(pipeline: Pipeline, scope: Scope): unknown {
  let piped: { value: unknown } | undefined;
  for (const command of pipeline.commands) {
    piped = { value: evaluateCommand(command, scope, piped, pipeline.source) };
  }
  return piped?.value;
}

function evaluateCommand(
  command: readonly Operand[],
  scope: Scope,
  piped: { value: unknown } | undefined,
  source: string,
): unknown {
  const [head, ...rest] = command as [Operand, ...Operand[]];
  if (head.kind !== 'function') {
    if (rest.length > 0 || piped !== undefined)
      throw new Error(`cannot give arguments to a value in {{ ${source} }}`);
    return evaluateOperand(head, scope, source);
  }
  const args = rest.map((operand) => evaluateOperand(operand, scope, source));
  if (piped !== undefined) args.push(piped.value);
  if (head.name === 'include') {
    const [name, data] = args;
    if (typeof name !== 'string') throw new Error(`include needs a template name in {{ ${source} }}`);
    return renderNamed(name, data, scope.templates);
  }
  const templateFunction = Object.hasOwn(templateFunctions, head.name)
    ? templateFunctions[head.name]
    : undefined;
  if (templateFunction === undefined) throw new Error(`unsupported function ${head.name} in {{ ${source} }}`);
  return templateFunction(...args);
}

function evaluateOperand(operand: Operand, scope: Scope, source: string): unknown {
  switch (operand.kind) {
    case 'literal':
      return operand.value;
    case 'group':
      return evaluatePipeline(operand.pipeline, scope);
    case 'function':
      return fail(`${operand.name} used as a value in {{ ${source} }}`);
    case 'field': {
      if (operand.base !== 'dot' && !Object.hasOwn(scope.variables, operand.base)) {
        throw new Error(`undefined variable ${operand.base} in {{ ${source} }}`);
      }
      let value = operand.base === 'dot' ? scope.dot : scope.variables[operand.base];
      operand.path.forEach((key, index) => {
        if (!isPlainObject(value)) {
          const reached = operand.path.slice(0, index).join('.');
          throw new Error(
            `${describe(value)} has no field ${key} (at ${reached || operand.base}) in {{ ${source} }}`,
          );
        }
        value = value[key];
      });
      return value;
    }
  }
}

function fail(message: string): never {
  throw new Error(message);
}

function isNil(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

function describe(value: unknown): string {
  if (isNil(value)) return 'nil';
  return Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a map' : typeof value;
}

/** Go's truth: false, 0, nil and empty strings, lists and maps are false. */
function isTruthy(value: unknown): boolean {
  if (isNil(value) || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isPlainObject(value)) return Object.keys(value).length > 0;
  return true;
}

/** What `{{ value }}` prints: a missing value shows as empty, as in Helm; printing a map or list is a bug. */
function printed(value: unknown, source: string): string {
  if (isNil(value)) return '';
  if (typeof value === 'object') throw new Error(`{{ ${source} }} prints ${describe(value)}`);
  return String(value);
}

function asText(value: unknown): string {
  if (isNil(value)) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function asNumber(value: unknown, name: string): number {
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || Number.isNaN(number)) throw new Error(`${name} of ${describe(value)}`);
  return number;
}

/** Go's fmt for the verbs the charts use: %s, %v, %d and %q. */
function goSprintf(format: string, args: readonly unknown[]): string {
  let next = 0;
  return format.replace(/%([svdq%])/g, (_verb, verb: string) => {
    if (verb === '%') return '%';
    if (next >= args.length) throw new Error(`printf ${JSON.stringify(format)}: too few arguments`);
    const value = args[next++];
    if (verb === 'q') return JSON.stringify(asText(value));
    if (verb === 'd') return String(Math.trunc(asNumber(value, 'printf %d')));
    return asText(value);
  });
}

function indentLines(spaces: unknown, text: unknown): string {
  const pad = ' '.repeat(asNumber(spaces, 'indent'));
  return asText(text)
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}

/** The Helm and Sprig functions the charts call, with Sprig's argument order (the piped value last). */
const templateFunctions: Readonly<Record<string, (...args: unknown[]) => unknown>> = {
  toYaml: (value) =>
    isNil(value) ? 'null' : stringify(value, { lineWidth: 0, version: '1.1' }).replace(/\n$/, ''),
  nindent: (spaces, text) => `\n${indentLines(spaces, text)}`,
  indent: (spaces, text) => indentLines(spaces, text),
  default: (...args) => {
    const [fallback, given] = args;
    return args.length < 2 || !isTruthy(given) ? fallback : given;
  },
  quote: (...args) =>
    args
      .filter((value) => !isNil(value))
      .map((value) => JSON.stringify(asText(value)))
      .join(' '),
  upper: (text) => asText(text).toUpperCase(),
  lower: (text) => asText(text).toLowerCase(),
  toString: (value: unknown) => asText(value),
  int: (value) => (isNil(value) || value === '' ? 0 : Math.trunc(asNumber(value, 'int'))),
  printf: (format, ...args) => goSprintf(asText(format), args),
  // Go's fmt.Sprint: a space between two operands only when neither is a string.
  print: (...args) =>
    args
      .map((value, index) =>
        index > 0 && typeof value !== 'string' && typeof args[index - 1] !== 'string'
          ? ` ${asText(value)}`
          : asText(value),
      )
      .join(''),
  trunc: (length, text) => asText(text).slice(0, asNumber(length, 'trunc')),
  trimSuffix: (suffix, text) => {
    const value = asText(text);
    const end = asText(suffix);
    return end !== '' && value.endsWith(end) ? value.slice(0, -end.length) : value;
  },
  replace: (from, to, text) => asText(text).split(asText(from)).join(asText(to)),
  contains: (part, text) => asText(text).includes(asText(part)),
  hasKey: (map, key) => isPlainObject(map) && Object.hasOwn(map, asText(key)),
  get: (map, key) => (isPlainObject(map) && Object.hasOwn(map, asText(key)) ? map[asText(key)] : ''),
  ternary: (whenTrue, whenFalse, condition) =>
    typeof condition === 'boolean'
      ? condition
        ? whenTrue
        : whenFalse
      : fail(`ternary of ${describe(condition)}`),
  sha256sum: (text) => createHash('sha256').update(asText(text)).digest('hex'),
  not: (value) => !isTruthy(value),
  and: (...args) => args.find((value) => !isTruthy(value)) ?? args.at(-1),
  or: (...args) => args.find((value) => isTruthy(value)) ?? args.at(-1),
  eq: (value, ...others) => others.some((other) => other === value),
  ne: (left, right) => left !== right,
  gt: (left, right) => asNumber(left, 'gt') > asNumber(right, 'gt'),
  lt: (left, right) => asNumber(left, 'lt') < asNumber(right, 'lt'),
  empty: (value) => !isTruthy(value),
};
