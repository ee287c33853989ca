import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * No module-level mutable state in the source of any lib or app: a module is shared by
 * every caller in the process, so state there is correct only while every caller stays
 * synchronous and single. Scratch buffers belong to an instance (a codec per writer).
 *
 * The rule, for every top-level statement of a non-test `.ts` file under `libs/<x>/src`
 * and `apps/<x>/src`:
 * - no `let` or `var`;
 * - no `const` holding a fresh mutable container: `new` of a buffer, typed array,
 *   DataView, ArrayBuffer, Array, Map, Set, WeakMap or WeakSet, `Buffer.alloc*`,
 *   `Buffer.from`, or an empty array literal. A Map or Set is allowed when its declared
 *   type is `ReadonlyMap` / `ReadonlySet`: a lookup table filled once, read after.
 */
const workspaceRoot = resolve(__dirname, '../..');

const MUTABLE_CONSTRUCTORS = new Set([
  'Buffer',
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int8Array',
  'Uint16Array',
  'Int16Array',
  'Uint32Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
]);
const READONLY_TYPES = /^(ReadonlyMap|ReadonlySet)\b/;

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (
        entry.name.endsWith('.ts') &&
        !/\.(test|spec)\.ts$/.test(entry.name) &&
        !entry.name.endsWith('.d.ts')
      )
        files.push(path);
    }
  };
  for (const group of ['libs', 'apps']) {
    for (const project of readdirSync(join(workspaceRoot, group), { withFileTypes: true })) {
      const src = join(workspaceRoot, group, project.name, 'src');
      if (project.isDirectory() && readdirSync(join(workspaceRoot, group, project.name)).includes('src'))
        walk(src);
    }
  }
  return files;
}

function createsMutableContainer(initializer: ts.Expression): boolean {
  let expression = initializer;
  while (
    ts.isAsExpression(expression) ||
    ts.isSatisfiesExpression(expression) ||
    ts.isParenthesizedExpression(expression)
  ) {
    expression = expression.expression;
  }
  if (ts.isNewExpression(expression)) {
    return ts.isIdentifier(expression.expression) && MUTABLE_CONSTRUCTORS.has(expression.expression.text);
  }
  if (ts.isCallExpression(expression) && ts.isPropertyAccessExpression(expression.expression)) {
    const { expression: target, name } = expression.expression;
    return (
      ts.isIdentifier(target) &&
      target.text === 'Buffer' &&
      /^(alloc|allocUnsafe|allocUnsafeSlow|from)$/.test(name.text)
    );
  }
  return ts.isArrayLiteralExpression(expression) && expression.elements.length === 0;
}

/** The module-level mutable state of one file, as `path:line name`. */
function moduleLevelState(path: string, text: string): string[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const list = statement.declarationList;
    const isConst = (list.flags & ts.NodeFlags.Const) !== 0;
    for (const declaration of list.declarations) {
      const name = declaration.name.getText(file);
      const line = file.getLineAndCharacterOfPosition(declaration.getStart(file)).line + 1;
      const where = `${relative(workspaceRoot, path)}:${line} ${name}`;
      if (!isConst) {
        found.push(`${where} (let/var)`);
        continue;
      }
      const initializer = declaration.initializer;
      if (initializer === undefined || !createsMutableContainer(initializer)) continue;
      const declaredType = declaration.type?.getText(file) ?? '';
      if (READONLY_TYPES.test(declaredType)) continue;
      found.push(`${where} (mutable container)`);
    }
  }
  return found;
}

describe('module-level state', () => {
  it('flags let, var and scratch containers, and allows constants and read-only tables', () => {
    const text = [
      'let count = 0;',
      'const scratch = Buffer.alloc(64);',
      'const view = new DataView(new ArrayBuffer(8));',
      'const seen = new Set<string>();',
      'const pending = [] as string[];',
      'const NAMES: ReadonlyMap<number, string> = new Map([[1, "a"]]);',
      'const LIMIT = 10;',
      'const KINDS = ["a", "b"] as const;',
      'const decoder = new TextDecoder("utf-8", { fatal: true });',
      'export function f() { let local = 1; const buffer = Buffer.alloc(1); return local + buffer.length; }',
    ].join('\n');
    expect(moduleLevelState(join(workspaceRoot, 'libs/x/src/fixture.ts'), text)).toEqual([
      'libs/x/src/fixture.ts:1 count (let/var)',
      'libs/x/src/fixture.ts:2 scratch (mutable container)',
      'libs/x/src/fixture.ts:3 view (mutable container)',
      'libs/x/src/fixture.ts:4 seen (mutable container)',
      'libs/x/src/fixture.ts:5 pending (mutable container)',
    ]);
  });

  it('is absent from the source of every lib and app', () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((path) => moduleLevelState(path, readFileSync(path, 'utf8')));
    expect(found).toEqual([]);
  });
});
