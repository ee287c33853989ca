/** A bad query parameter: answered 400 with this one line, which names the parameter. */
export class ParamError extends Error {
  override readonly name = 'ParamError';

  constructor(
    readonly parameter: string,
    problem: string,
  ) {
    super(`${parameter}: ${problem}`);
  }
}

export type QueryParams = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The parameter's one value; repeated is an error, absent or empty is undefined. */
export function oneParam(params: QueryParams, name: string): string | undefined {
  const value = params[name];
  if (Array.isArray(value)) throw new ParamError(name, 'given more than once');
  return value === undefined || value === '' ? undefined : (value as string);
}

/** An ISO-8601 time with a date (`2026-12-07T10:15:00Z`); Unix milliseconds. */
export function timeParam(params: QueryParams, name: string): number | undefined {
  const text = oneParam(params, name);
  if (text === undefined) return undefined;
  const millis = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(millis)) throw new ParamError(name, `${JSON.stringify(text)} is not an ISO-8601 time`);
  return millis;
}

export function integerParam(
  params: QueryParams,
  name: string,
  bounds: { readonly min: number; readonly max: number },
): number | undefined {
  const text = oneParam(params, name);
  if (text === undefined) return undefined;
  const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max) {
    throw new ParamError(
      name,
      `${JSON.stringify(text)} is not a whole number from ${bounds.min} to ${bounds.max}`,
    );
  }
  return value;
}

export function booleanParam(params: QueryParams, name: string): boolean | undefined {
  const text = oneParam(params, name);
  if (text === undefined) return undefined;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ParamError(name, `${JSON.stringify(text)} is not true or false`);
}

/** `a,b` or the parameter repeated: its values, each once. */
export function listParam(params: QueryParams, name: string): string[] {
  const value = params[name];
  const values = (Array.isArray(value) ? value : [value]).flatMap((each: string | undefined) =>
    each === undefined ? [] : each.split(','),
  );
  return [...new Set(values.map((each) => each.trim()).filter((each) => each !== ''))];
}

/** `after` and `before`: given, or the last `defaultMillis` up to now; `after` must come first. */
export function rangeParams(
  params: QueryParams,
  now: number,
  defaultMillis: number,
): { readonly after: number; readonly before: number } {
  const before = timeParam(params, 'before') ?? now;
  const after = timeParam(params, 'after') ?? before - defaultMillis;
  if (after >= before) throw new ParamError('after', 'must be earlier than before');
  return { after, before };
}
