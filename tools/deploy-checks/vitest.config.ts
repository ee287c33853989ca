import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../vitest/preset';

// The packed-libraries test runs a consumer of @message-bus/store-etcd against the throwaway etcd.
export default defineConfig(projectTestConfig({ globalSetup: ['../etcd/global-setup.ts'] }));
