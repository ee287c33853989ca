import { corridorScenario } from './corridor';
import type { Scenario } from './scenario';
import { urbanGridScenario } from './urban-grid';

/** The scenarios available by name (to the CLI, benchmarks and tests). */
export const BUILTIN_SCENARIOS: Readonly<Record<string, () => Scenario>> = {
  corridor: () => corridorScenario(),
  'urban-grid': () => urbanGridScenario(),
};
