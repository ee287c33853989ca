import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../vitest/preset';

// The smoke test runs the real command, which starts its own throwaway etcd.
export default defineConfig(projectTestConfig({ testTimeout: 60_000 }));
