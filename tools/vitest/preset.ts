import { defaultServerConditions } from 'vite';
import type { ViteUserConfig } from 'vitest/config';

type TestOptions = NonNullable<ViteUserConfig['test']>;

/**
 * The Vitest settings every project shares. Workspace packages resolve to their
 * TypeScript sources (the `@message-bus/source` export condition), so tests never
 * need a prior build.
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
      ...test,
    },
  };
}
