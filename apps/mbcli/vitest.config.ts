import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../../tools/vitest/preset';

// The command tests run the built CLI (dist/commands) against a built cqserver process.
// oclif prints through console.log; Vitest must leave the console alone so that
// @oclif/test's runCommand can capture what a command printed. A test runs several
// commands against a server process: 120 s only stops a hang, on a loaded machine too
// (the 30 s it had was within 3× of the slowest test's quiet time).
export default defineConfig(
  projectTestConfig({ testTimeout: 120_000, hookTimeout: 120_000, disableConsoleIntercept: true }),
);
