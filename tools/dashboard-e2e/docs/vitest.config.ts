import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../../vitest/preset';

// `npm run docs:screenshots`: the README's dashboard images, made the way the browser
// tests run (a built cqserver fed by the simulator, headless Chromium), but only on request.
export default defineConfig(
  projectTestConfig({
    include: ['docs/**/*.screenshots.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Not a test run: no report for tools/ci/test-summary.mjs to count.
    reporters: ['default'],
  }),
);
