import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corridorScenario, scenarioToJson } from '@message-bus/simulation';

/**
 * Writes, into `directory`, the built-in corridor as a scenario file with its daily
 * profile flat at 1 (the 10:00–14:00 volume all day), and returns its path. The built-in
 * follows the clock: the hour before a run late in the evening carries a third of the
 * midday traffic, too little for a test that needs estimates of every link.
 */
export function writeSteadyCorridor(directory: string): string {
  const corridor = corridorScenario();
  const steady = scenarioToJson({ ...corridor, dailyProfile: corridor.dailyProfile.map(() => 1) });
  const path = join(directory, 'steady-corridor.json');
  writeFileSync(path, JSON.stringify(steady));
  return path;
}
