import { defineConfig } from 'vitest/config';
import { projectTestConfig } from '../../tools/vitest/preset';

// A zone east of UTC, so the tests see local-time formatting differ from the ISO strings.
export default defineConfig(projectTestConfig({ env: { TZ: 'Europe/Helsinki' } }));
