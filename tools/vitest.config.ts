import { defineConfig } from 'vitest/config';
import { projectTestConfig } from './vitest/preset';

export default defineConfig(
  projectTestConfig({
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', 'bench/**', 'deploy-checks/**', 'e2e/**', 'dashboard-e2e/**'],
    globalSetup: ['./etcd/global-setup.ts'],
  }),
);
