import { ESLint } from 'eslint';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Proves the dependency rules of ARCHITECTURE.md are enforced by lint: each case lints
 * an in-memory file placed inside a project, so no offending code is ever committed.
 */
const workspaceRoot = resolve(__dirname, '../..');

async function boundaryViolations(projectFile: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: workspaceRoot });
  const [result] = await eslint.lintText(code, { filePath: join(workspaceRoot, projectFile) });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === '@nx/enforce-module-boundaries')
    .map((message) => message.message);
}

describe('module boundaries', () => {
  it.each(['@grpc/grpc-js', 'etcd3', 'lmdb', '@oclif/core'])('domain may not import %s', async (banned) => {
    const violations = await boundaryViolations(
      'libs/domain/src/boundary-fixture.ts',
      `import * as banned from '${banned}';\nexport const used = banned;\n`,
    );
    expect(violations.join('\n')).toContain(
      `A project tagged with "type:domain" is not allowed to import "${banned}"`,
    );
  });

  it('domain may not import the wire stubs', async () => {
    const violations = await boundaryViolations(
      'libs/domain/src/boundary-fixture.ts',
      `import * as stubs from '@message-bus/proto';\nexport const used = stubs;\n`,
    );
    expect(violations.join('\n')).toContain('can only depend on libs tagged with "type:domain"');
  });

  it('the port may not import a concrete store', async () => {
    const violations = await boundaryViolations(
      'libs/repository/src/boundary-fixture.ts',
      `import * as store from '@message-bus/store-etcd';\nexport const used = store;\n`,
    );
    expect(violations).toHaveLength(1);
  });

  it("a service's source may not import a concrete store, but its tests may", async () => {
    const code = `import * as store from '@message-bus/store-embedded';\nexport const used = store;\n`;
    const inSource = await boundaryViolations('libs/collector/src/boundary-fixture.ts', code);
    const inTest = await boundaryViolations('libs/collector/src/boundary-fixture.test.ts', code);
    expect(inSource).toHaveLength(1);
    expect(inTest).toEqual([]);
  });

  it('the runtime may use the stores and health, but no other service', async () => {
    const importing = (name: string) =>
      boundaryViolations(
        'libs/runtime/src/boundary-fixture.ts',
        `import * as lib from '@message-bus/${name}';\nexport const used = lib;\n`,
      );
    expect(await importing('query')).toHaveLength(1);
    expect(await importing('collector')).toHaveLength(1);
    expect(await importing('healthcheck')).toEqual([]);
    expect(await importing('store-etcd')).toEqual([]);
  });

  it('the simulation may use domain only, and no service may use the simulation', async () => {
    const intoPort = await boundaryViolations(
      'libs/simulation/src/boundary-fixture.ts',
      `import * as port from '@message-bus/repository';\nexport const used = port;\n`,
    );
    const fromService = await boundaryViolations(
      'libs/traveltime/src/boundary-fixture.ts',
      `import * as simulation from '@message-bus/simulation';\nexport const used = simulation;\n`,
    );
    const fromApp = await boundaryViolations(
      'apps/mbcli/src/boundary-fixture.ts',
      `import * as simulation from '@message-bus/simulation';\nexport const used = simulation;\n`,
    );
    expect(intoPort.join('\n')).toContain(
      '"type:simulation" can only depend on libs tagged with "type:domain"',
    );
    expect(fromService).toHaveLength(1);
    expect(fromApp).toEqual([]);
  });

  it('domain may import itself relatively', async () => {
    const violations = await boundaryViolations(
      'libs/domain/src/boundary-fixture.ts',
      `import { ValidationError } from './validation-error';\nexport const used = ValidationError;\n`,
    );
    expect(violations).toEqual([]);
  });
});
