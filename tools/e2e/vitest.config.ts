import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../vitest/preset';

export default defineConfig(projectTestConfig({ globalSetup: ['../etcd/global-setup.ts'] }));
