import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../../tools/vitest/preset';

export default defineConfig(projectTestConfig());
