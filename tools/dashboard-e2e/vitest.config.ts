import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../vitest/preset';

// Each file runs its own cqserver and Chromium, and the incident file mostly waits on the
// simulated clock, so two files at a time keep a 2-core machine busy without starving the
// servers under test. A file's tests share its server, so the timeouts cover a loaded CI
// machine building estimates, not one slow call.
export default defineConfig(
  projectTestConfig({
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: true,
    maxWorkers: 2,
  }),
);
