import { Flags, type Interfaces } from '@oclif/core';
import { FlagValueError } from './flag-value-error';

/** What a duration flag accepts beyond the common forms. */
export type DurationRules = {
  /** 0 is a value (e.g. "derive it"); otherwise a duration must be more than 0. */
  readonly allowZero?: boolean;
  /** The shortest accepted, in seconds. */
  readonly atLeastSeconds?: number;
  /** Whole seconds only, for flags the wire takes as integers. */
  readonly wholeSeconds?: boolean;
  /** What a bare number counts: seconds, or hours for a flag whose name says hours. */
  readonly bareUnit?: 'seconds' | 'hours';
};

const SECONDS_PER_UNIT: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3_600, d: 86_400 };
const UNIT_PARTS = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const BARE_NUMBER = /^\d+(?:\.\d+)?$/;

/** The forms a duration may take, as the error and the help say them. */
export function durationForms(bareUnit: DurationRules['bareUnit'] = 'seconds'): string {
  const bare = bareUnit === 'hours' ? 'bare hours like 168' : 'bare seconds like 3600';
  return `a number and a unit like 90s, 30m, 6h or 2d (ms, s, m, h, d; or combined like 1h30m), or ${bare}`;
}

/**
 * A duration flag's value in seconds: `90s`, `30m`, `6h`, `2d`, `500ms`, combined as
 * `1h30m`, decimals as `1.5h`, or a bare number in the flag's own unit (seconds, as
 * scripts pass them, unless the flag's name says hours).
 * @throws FlagValueError one line naming the flag, the value and the accepted forms
 */
export function parseDuration(flag: string, text: string, rules: DurationRules = {}): number {
  const trimmed = text.trim().toLowerCase();
  const bareSeconds = rules.bareUnit === 'hours' ? 3_600 : 1;
  const seconds = BARE_NUMBER.test(trimmed) ? Number(trimmed) * bareSeconds : unitSeconds(trimmed);
  if (seconds === undefined) {
    throw new FlagValueError(`--${flag} ${JSON.stringify(text)} is not a duration; give ${durationForms(rules.bareUnit)}`);
  }
  if (seconds === 0 && !rules.allowZero) {
    throw new FlagValueError(`--${flag} ${text} is zero; give a duration more than 0, like 90s, 30m or 6h`);
  }
  if (rules.atLeastSeconds !== undefined && seconds < rules.atLeastSeconds) {
    throw new FlagValueError(`--${flag} ${text} is too short; give at least ${rules.atLeastSeconds}s`);
  }
  if (rules.wholeSeconds && !Number.isInteger(seconds)) {
    throw new FlagValueError(`--${flag} ${text} is not a whole number of seconds; give one like 90s or 10m`);
  }
  return seconds;
}

/** The seconds of `1h30m`-style text, or undefined if it is not made of number-unit parts. */
function unitSeconds(text: string): number | undefined {
  if (!UNIT_PARTS.test(text)) return undefined;
  let total = 0;
  for (const [, amount = '', unit = ''] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    total += Number(amount) * (SECONDS_PER_UNIT[unit] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}

/** How a command declares a duration flag; the default is text (`'1h'`), which the help shows as typed. */
type DurationFlagOptions = DurationRules & {
  readonly description: string;
  readonly required?: boolean;
  readonly exclusive?: string[];
};

/** A duration flag: its value is in seconds, whatever form was typed. */
const durationFlagType = Flags.custom<number, DurationRules>({
  helpValue: '<duration>',
  parse: async (input, _context, flag) => parseDuration(flag.name, input, flag),
});

export function durationFlag(
  options: DurationFlagOptions & { readonly default: string },
): Interfaces.OptionFlag<number, DurationRules>;
export function durationFlag(
  options: DurationFlagOptions & { readonly required: true },
): Interfaces.OptionFlag<number, DurationRules>;
export function durationFlag(options: DurationFlagOptions): Interfaces.OptionFlag<number | undefined, DurationRules>;
export function durationFlag(
  options: DurationFlagOptions & { readonly default?: string },
): Interfaces.OptionFlag<number | undefined, DurationRules> {
  const { default: defaultText, ...rest } = options;
  if (defaultText === undefined) return durationFlagType(rest);
  return durationFlagType({
    ...rest,
    default: parseDuration('default', defaultText, rest),
    defaultHelp: async () => defaultText,
  });
}
