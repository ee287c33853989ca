import { join, relative, resolve } from 'node:path';
import { defaultServerConditions } from 'vite';
import type { ViteUserConfig } from 'vitest/config';

const workspaceRoot = resolve(__dirname, '../..');

type TestOptions = NonNullable<ViteUserConfig['test']>;

/**
 * The Vitest settings every project shares. Workspace packages resolve to their
 * TypeScript sources (the `@message-bus/source` export condition), so tests never
 * need a prior build. Each run also leaves a JSON report under tmp/test-results,
 * which tools/ci/test-summary.mjs adds up for the workspace.
 */
export function projectTestConfig(test: TestOptions = {}): ViteUserConfig {
  const conditions = ['@message-bus/source', ...defaultServerConditions];
  return {
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: conditions } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 20_000,
      hookTimeout: 30_000,
      reporters: ['default', ['json', { outputFile: testReportPath() }]],
      ...test,
    },
  };
}

/** tmp/test-results/<project root>.json, the path Nx caches as the test target's output. */
function testReportPath(): string {
  return join(workspaceRoot, 'tmp/test-results', `${relative(workspaceRoot, process.cwd())}.json`);
}
