import { readFileSync } from 'node:fs';
import { BUILTIN_SCENARIOS, parseScenario, type Scenario } from '@message-bus/simulation';
import { InputError } from '../input-error';

/** A built-in scenario by name (`corridor`), or a scenario JSON file. */
export function loadScenario(nameOrFile: string): Scenario {
  const builtin = BUILTIN_SCENARIOS[nameOrFile];
  if (builtin) return builtin();
  let text: string;
  try {
    text = readFileSync(nameOrFile, 'utf8');
  } catch {
    throw new InputError(
      `--scenario "${nameOrFile}" is neither a built-in scenario (${Object.keys(BUILTIN_SCENARIOS).join(', ')}) nor a readable file`,
    );
  }
  try {
    return parseScenario(JSON.parse(text));
  } catch (error) {
    throw new InputError(`--scenario ${nameOrFile}: ${(error as Error).message}`);
  }
}
