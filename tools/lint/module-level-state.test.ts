import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * No module-level mutable state in source: state shared by every caller of a module is
 * correct only while they all stay synchronous, and it cannot be given to one writer.
 * State lives in instances (an encoder per writer, a cache per repository).
 *
 * The rule, for every non-test `.ts` file under `libs/<lib>/src` and `apps/<app>/src`
 * (tests, `*.test.ts`, may keep fixtures at the top level):
 *
 * 1. No top-level `let` or `var`.
 * 2. No top-level `const` whose type (its annotation, else what TypeScript infers) is a
 *    mutable container: an array that is not `readonly`, a `Map`, `Set`, `WeakMap`,
 *    `WeakSet`, `ArrayBuffer`, `SharedArrayBuffer`, `DataView`, `Buffer` or any typed
 *    array, of any length (a zero-length buffer cannot be written, but one rule for all
 *    buffers is simpler to follow than an exception); nor an object type with a writable
 *    index signature (`Record<string, T>`); nor an object literal holding any of these.
 *    A non-empty array or object literal written out in the source is a constant table
 *    by convention and passes (its members are still checked); an empty or computed one
 *    is somewhere to put things.
 *    Lookup tables stay top-level as `readonly T[]`, `ReadonlyMap`, `ReadonlySet` or
 *    `Object.freeze(...)`d arrays; plain option objects and functions are not flagged.
 *
 * Static class properties are not checked: oclif commands declare their flags and
 * examples as writable statics by the framework's convention.
 *
 * Types come from a program built without resolving imports (fast, and enough: a
 * container made in the file is typed from the standard library alone), so a constant
 * initialised from another module's value is typed `any` and not flagged.
 */
const workspaceRoot = resolve(__dirname, '../..');

const MUTABLE_CONTAINER_NAMES: ReadonlySet<string> = new Set([
  'Array',
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Buffer',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
]);

function sourceFiles(): string[] {
  const files: string[] = [];
  for (const group of ['libs', 'apps']) {
    for (const project of readdirSync(join(workspaceRoot, group), { withFileTypes: true })) {
      if (!project.isDirectory()) continue;
      collectTs(join(workspaceRoot, group, project.name, 'src'), files);
    }
  }
  return files;
}

function collectTs(directory: string, files: string[]): void {
  let entries;
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) collectTs(path, files);
    else if (
      entry.name.endsWith('.ts') &&
      !entry.name.endsWith('.test.ts') &&
      !entry.name.endsWith('.d.ts')
    ) {
      files.push(path);
    }
  }
}

function nodeTypeFiles(): string[] {
  const directory = join(workspaceRoot, 'node_modules/@types/node');
  return readdirSync(directory)
    .filter((name) => name.endsWith('.d.ts'))
    .map((name) => join(directory, name));
}

/** `where: why` for each piece of module-level mutable state in `files`. */
function moduleLevelState(files: readonly string[]): string[] {
  // Imports are not followed (fast, and enough: a container made in the file is typed
  // from the standard library); Node's types are listed file by file for `Buffer`.
  const program = ts.createProgram([...files, ...nodeTypeFiles()], {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    types: [],
    strict: true,
    noResolve: true,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const findings: string[] = [];
  for (const path of files) {
    const file = program.getSourceFile(path);
    if (file === undefined) throw new Error(`not in the program: ${path}`);
    const report = (node: ts.Node, why: string): void => {
      const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
      findings.push(
        `${relative(workspaceRoot, path)}:${line + 1} ${node.getText(file).split('\n')[0]}: ${why}`,
      );
    };
    for (const statement of file.statements) {
      if (ts.isVariableStatement(statement)) {
        const flags = statement.declarationList.flags;
        const isConst = (flags & ts.NodeFlags.Const) !== 0;
        for (const declaration of statement.declarationList.declarations) {
          if (!isConst) {
            report(declaration, 'a top-level let/var');
            continue;
          }
          const why = isWrittenOutTable(declaration.initializer)
            ? memberContainer(checker, checker.getTypeAtLocation(declaration.name), 0)
            : mutableContainer(checker, checker.getTypeAtLocation(declaration.name), 0);
          if (why !== undefined) report(declaration, why);
        }
      }
    }
  }
  return findings;
}

function isWrittenOutTable(initializer: ts.Expression | undefined): boolean {
  if (initializer === undefined) return false;
  if (ts.isArrayLiteralExpression(initializer)) return initializer.elements.length > 0;
  return ts.isObjectLiteralExpression(initializer) && initializer.properties.length > 0;
}

/** Why `type` is mutable shared state, or undefined. */
function mutableContainer(checker: ts.TypeChecker, type: ts.Type, depth: number): string | undefined {
  if (type.isUnion() || type.isIntersection()) {
    for (const part of type.types) {
      const why = mutableContainer(checker, part, depth);
      if (why !== undefined) return why;
    }
    return undefined;
  }
  if (checker.isArrayType(type)) {
    // `readonly T[]` is ReadonlyArray, which isArrayType also accepts; only Array is writable.
    return type.getSymbol()?.getName() === 'Array' ? 'a mutable array' : undefined;
  }
  if (checker.isTupleType(type)) {
    const target = (type as ts.TypeReference).target as ts.TupleType;
    return target.readonly ? undefined : 'a mutable tuple';
  }
  const name = type.getSymbol()?.getName();
  if (name !== undefined && MUTABLE_CONTAINER_NAMES.has(name)) return `a mutable ${name}`;
  const writableIndex = checker.getIndexInfosOfType(type).find((info) => !info.isReadonly);
  if (writableIndex !== undefined && (type.flags & ts.TypeFlags.Object) !== 0) {
    return 'an object with a writable index signature';
  }
  return name === '__object' ? memberContainer(checker, type, depth) : undefined;
}

/** Why a member of object literal type `type` is mutable shared state (`{ bytes: Buffer.alloc(8) }`), a few levels deep. */
function memberContainer(checker: ts.TypeChecker, type: ts.Type, depth: number): string | undefined {
  if (depth >= 3 || checker.isArrayType(type) || checker.isTupleType(type)) return undefined;
  for (const property of type.getProperties()) {
    const declaration = property.valueDeclaration;
    if (declaration === undefined) continue;
    const why = mutableContainer(
      checker,
      checker.getTypeOfSymbolAtLocation(property, declaration),
      depth + 1,
    );
    if (why !== undefined) return `an object holding ${why} in ${property.getName()}`;
  }
  return undefined;
}

describe('module-level state', () => {
  it('flags each kind of mutable state the rule names, and only those', () => {
    const fixture = join(workspaceRoot, 'tools/lint/fixtures/module-level-state-fixture.ts');
    const findings = moduleLevelState([fixture]).map((finding) => finding.replace(/^.*?:(\d+) /, '$1 '));
    expect(findings).toEqual([
      expect.stringMatching(/^\d+ counter = 0: a top-level let\/var$/),
      expect.stringMatching(/scratch = Buffer.alloc\(64\): a mutable Buffer$/),
      expect.stringMatching(/view = new DataView\(new ArrayBuffer\(8\)\): a mutable DataView$/),
      expect.stringMatching(/empty = new Uint8Array\(0\): a mutable Uint8Array$/),
      expect.stringMatching(/table = \(\(\) => \{: a mutable Int8Array$/),
      expect.stringMatching(/cache = new Map<string, number>\(\): a mutable Map$/),
      expect.stringMatching(/pending: string\[\] = \[\]: a mutable array$/),
      expect.stringMatching(
        /byName: Record<string, number> = \{\}: an object with a writable index signature$/,
      ),
      expect.stringMatching(
        /state = \{ bytes: new Uint8Array\(4\) \}: an object holding a mutable Uint8Array in bytes$/,
      ),
    ]);
  });

  it('finds none in libs/*/src and apps/*/src', () => {
    expect(moduleLevelState(sourceFiles())).toEqual([]);
  }, 120_000);
});
