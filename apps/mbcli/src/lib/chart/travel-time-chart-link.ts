import { InputError } from '../input-error';

export interface LinkEnds {
  readonly source: string;
  readonly destination: string;
}

/**
 * The readings of a `--link SOURCE:DESTINATION` flag: one per colon with text on both
 * sides. Detector ids may themselves contain `:`, so `a:b:c` has two readings.
 */
export function linkFlagReadings(text: string): LinkEnds[] {
  const readings: LinkEnds[] = [];
  for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1)) {
    const [source, destination] = [text.slice(0, at), text.slice(at + 1)];
    if (source !== '' && destination !== '') readings.push({ source, destination });
  }
  if (readings.length === 0) {
    throw new InputError(`--link "${text}" is not a link; give SOURCE:DESTINATION, e.g. a1:b1`);
  }
  return readings;
}

/** The one reading that is a listed link, for a flag with more than one reading. */
export function chooseListedReading(
  text: string,
  readings: readonly LinkEnds[],
  listed: readonly LinkEnds[],
): LinkEnds {
  const matches = readings.filter((reading) =>
    listed.some((link) => link.source === reading.source && link.destination === reading.destination),
  );
  if (matches.length === 1) return matches[0]!;
  const described = readings.map((reading) => `${reading.source} → ${reading.destination}`).join(', ');
  throw new InputError(
    `--link "${text}" could be ${described}, and ${matches.length === 0 ? 'none' : 'more than one'} of them is a listed link; ` +
      'see `mbcli links list`',
  );
}
