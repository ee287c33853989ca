import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../vitest/preset';

// One file at a time: the fault tests promise that no call fails while an etcd member is
// down, and the fuzz files beside them (100k-sighting logs, oversized requests) starved
// the servers under test past their deadlines on a 2-core CI machine. A cluster test
// failed that way in two CI runs; alone it passes.
export default defineConfig(
  projectTestConfig({ globalSetup: ['../etcd/global-setup.ts'], fileParallelism: false }),
);
