/**
 * What the monitoring check needs to read: the Prometheus text a server exports, and the
 * metric selectors in the PromQL of the alert rules and the Grafana dashboard.
 */

/** One metric family of a scrape: its type and the label names its samples carry. */
export interface ExportedMetric {
  readonly type: string;
  readonly labelNames: ReadonlySet<string>;
  readonly sampleCount: number;
}

/** A metric selector in PromQL: the metric name and the label names it matches on. */
export interface PromQlSelector {
  readonly metric: string;
  readonly labels: readonly string[];
}

/** The suffixes a histogram's or summary's samples add to the family name. */
const SERIES_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

/**
 * The metric families in Prometheus text exposition format, by name: every `# TYPE` line
 * declares one, and each sample (`name_bucket`, `name_sum` and `name_count` for histograms
 * and summaries) adds its label names to its family.
 */
export function parseExposition(text: string): Map<string, ExportedMetric> {
  const types = new Map<string, string>();
  for (const [, name = '', type = ''] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(name, type);
  const labels = new Map<string, Set<string>>([...types.keys()].map((name) => [name, new Set<string>()]));
  const samples = new Map<string, number>();
  const sampleLines = text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/gm);
  for (const [, sampleName = '', labelText = ''] of sampleLines) {
    const family = familyOf(sampleName, types);
    if (family === undefined) continue;
    samples.set(family, (samples.get(family) ?? 0) + 1);
    for (const [, label = ''] of labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)) {
      labels.get(family)?.add(label);
    }
  }
  return new Map(
    [...types].map(([name, type]) => [
      name,
      { type, labelNames: labels.get(name) ?? new Set(), sampleCount: samples.get(name) ?? 0 },
    ]),
  );
}

/** The family a sample belongs to: its own name, or a histogram's or summary's without the suffix. */
export function familyOf(sampleName: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(sampleName)) return sampleName;
  for (const suffix of SERIES_SUFFIXES) {
    if (!sampleName.endsWith(suffix)) continue;
    const base = sampleName.slice(0, -suffix.length);
    const type = types.get(base);
    if (type === 'histogram' || (type === 'summary' && suffix !== '_bucket')) return base;
  }
  return undefined;
}

/** PromQL's aggregation operators: an identifier before `by`, `without` or `(`, never a metric. */
const AGGREGATIONS: readonly string[] = [
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values',
  'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio',
];
/** Keywords whose parenthesised list holds label names. */
const GROUPING_KEYWORDS: readonly string[] = ['by', 'without', 'on', 'ignoring', 'group_left', 'group_right'];
/** Other keywords and literals that look like identifiers. */
const OTHER_KEYWORDS: readonly string[] = [
  'and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan', 'Inf', 'NaN',
];

/**
 * Every metric selector in a PromQL expression: names not followed by `(` (functions) nor
 * keywords or aggregations, with the label names of their `{...}` matchers. Strings, range
 * and subquery brackets, and grouping lists (`by (job)`) are skipped; so are Grafana's
 * variables, which only appear inside them (`[$__rate_interval]`, `job=~"$job"`).
 */
export function promQlSelectors(expression: string): PromQlSelector[] {
  const selectors: PromQlSelector[] = [];
  let position = 0;
  const skipSpace = (): void => {
    while (position < expression.length && /\s/.test(expression[position] ?? '')) position += 1;
  };
  /** The index just past the bracket closing the one at `start`, skipping strings. */
  const closing = (start: number, open: string, close: string): number => {
    let depth = 0;
    for (let index = start; index < expression.length; index += 1) {
      const char = expression[index];
      if (char === '"' || char === "'" || char === '`') {
        index = stringEnd(expression, index) - 1;
      } else if (char === open) {
        depth += 1;
      } else if (char === close) {
        depth -= 1;
        if (depth === 0) return index + 1;
      }
    }
    throw new Error(`unbalanced ${open}${close} in PromQL: ${expression}`);
  };
  while (position < expression.length) {
    const char = expression[position] ?? '';
    if (char === '"' || char === "'" || char === '`') {
      position = stringEnd(expression, position);
    } else if (char === '[') {
      position = closing(position, '[', ']');
    } else if (char === '{') {
      // A selector by matchers only (`{__name__="x"}`): not used by the shipped files.
      position = closing(position, '{', '}');
    } else if (/[0-9.]/.test(char)) {
      position += /^[0-9.][0-9a-zA-Z_.+-]*/.exec(expression.slice(position))?.[0].length ?? 1;
    } else if (/[a-zA-Z_:]/.test(char)) {
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expression.slice(position))?.[0] ?? char;
      position += name.length;
      skipSpace();
      const next = expression[position];
      if (GROUPING_KEYWORDS.includes(name)) {
        if (next === '(') position = closing(position, '(', ')');
      } else if (AGGREGATIONS.includes(name) || OTHER_KEYWORDS.includes(name) || next === '(') {
        // An operator, keyword or function: its arguments are read as the loop goes on.
      } else if (next === '{') {
        const end = closing(position, '{', '}');
        const matchers = expression
          .slice(position + 1, end - 1)
          .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '');
        const labels = [...matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map(
          (matcher) => matcher[1] ?? '',
        );
        selectors.push({ metric: name, labels });
        position = end;
      } else {
        selectors.push({ metric: name, labels: [] });
      }
    } else {
      position += 1;
    }
  }
  return selectors;
}

function stringEnd(text: string, start: number): number {
  const quote = text[start];
  for (let index = start + 1; index < text.length; index += 1) {
    if (text[index] === '\\' && quote !== '`') index += 1;
    else if (text[index] === quote) return index + 1;
  }
  throw new Error(`unterminated string in PromQL: ${text}`);
}
