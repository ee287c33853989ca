import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../vitest/preset';

export default defineConfig(projectTestConfig());
