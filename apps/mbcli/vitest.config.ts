import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../../tools/vitest/preset';

// The command tests run the built CLI (dist/commands) against a built cqserver process.
// oclif prints through console.log; Vitest must leave the console alone so that
// @oclif/test's runCommand can capture what a command printed.
export default defineConfig(
  projectTestConfig({ testTimeout: 30_000, hookTimeout: 60_000, disableConsoleIntercept: true }),
);
