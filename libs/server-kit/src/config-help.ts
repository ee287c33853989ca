import { configFileOption, envName, rangeText, type OptionDeclaration } from './config';

/**
 * `--help` and the README's option table, both generated from the declarations so
 * the two never disagree. A secret's default is never printed.
 */

/** The `--help` text: usage, description, then every option with its env name and default. */
export function formatHelp(
  programName: string,
  description: string,
  declarations: readonly OptionDeclaration[],
): string {
  const lines = [
    `Usage: ${programName} [options]`,
    '',
    description,
    '',
    'Options (later sources win: defaults < --config_file < environment < flags):',
  ];
  for (const declaration of [...declarations, configFileOption]) {
    const valueHint = valueSyntax(declaration);
    lines.push(`  --${declaration.name}${valueHint === '' ? '' : ` ${valueHint}`}`);
    lines.push(
      `      ${declaration.description}${declaration.disableable === true ? ' Empty turns it off.' : ''}`,
    );
    lines.push(`      env ${envName(declaration.name)}, default ${defaultText(declaration)}`);
  }
  lines.push('  -h, --help', '      Print this help and exit.');
  return `${lines.join('\n')}\n`;
}

/** A Markdown table of the options, for a README (the same facts as `--help`). */
export function formatOptionsMarkdown(declarations: readonly OptionDeclaration[]): string {
  const rows = ['| Flag | Environment | Value | Default | Description |', '| --- | --- | --- | --- | --- |'];
  for (const declaration of [...declarations, configFileOption]) {
    const defaultCell =
      declaration.default === undefined || declaration.secret === true
        ? defaultText(declaration)
        : code(defaultText(declaration));
    const cells = [
      code(`--${declaration.name}`),
      code(envName(declaration.name)),
      tableText(valueDescription(declaration)),
      defaultCell,
      tableText(
        `${declaration.description}${declaration.disableable === true ? ' Empty turns it off.' : ''}`,
      ),
    ];
    rows.push(`| ${cells.join(' | ')} |`);
  }
  return `${rows.join('\n')}\n`;
}

function defaultText(declaration: OptionDeclaration): string {
  if (declaration.secret === true) {
    return declaration.default === undefined ? '(none, secret)' : '(hidden, secret)';
  }
  if (declaration.default === undefined) {
    return declaration.kind === 'boolean' ? 'false' : '(none)';
  }
  return declaration.default;
}

/** What follows the flag in `--help`: `ADDR`, `embedded|etcd`, nothing for a boolean. */
function valueSyntax(declaration: OptionDeclaration): string {
  switch (declaration.kind) {
    case 'address':
      return 'ADDR';
    case 'string':
      return 'TEXT';
    case 'integer': {
      const range = rangeText(declaration);
      return range === '' ? 'N' : `N (${range})`;
    }
    case 'boolean':
      return '';
    case 'list':
      return 'A,B,...';
    case 'enum':
      return declaration.choices.join('|');
    case 'path':
      return 'PATH';
    case 'duration':
      return 'DURATION';
  }
}

function valueDescription(declaration: OptionDeclaration): string {
  switch (declaration.kind) {
    case 'address':
      return 'address (:9000 or host:9000)';
    case 'string':
      return 'text';
    case 'integer': {
      const range = rangeText(declaration);
      return range === '' ? 'integer' : `integer ${range}`;
    }
    case 'boolean':
      return 'boolean';
    case 'list':
      return 'comma-separated list';
    case 'enum':
      return declaration.choices.join(' | ');
    case 'path':
      return 'path';
    case 'duration':
      return 'duration (30m, 168h, 7d)';
  }
}

function code(text: string): string {
  return `\`${text.replaceAll('|', '\\|')}\``;
}

/** Table cell text: pipes escaped, and `<token>` shown literally rather than read as HTML. */
function tableText(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
