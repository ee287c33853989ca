import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../../tools/vitest/preset';

// End-to-end: the built program (dist/main.js) runs as a child process.
export default defineConfig(
  projectTestConfig({
    globalSetup: ['../../tools/etcd/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  }),
);
