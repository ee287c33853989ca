const UNIT_MILLISECONDS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART_PATTERN = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * Parses a duration written the Go way plus days: `30m`, `168h`, `7d`, `1h30m`,
 * `500ms`, or `0`. Returns whole milliseconds. Throws an Error saying what is wrong.
 */
export function parseDuration(text: string): number {
  if (text === '0') {
    return 0;
  }
  if (!DURATION_PATTERN.test(text)) {
    throw new Error(`${JSON.stringify(text)} is not a duration (use e.g. 30m, 168h, 7d)`);
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART_PATTERN)) {
    total += Number(amount) * (UNIT_MILLISECONDS[unit ?? ''] ?? 0);
  }
  if (!Number.isSafeInteger(Math.round(total))) {
    throw new Error(`${JSON.stringify(text)} is too long a duration`);
  }
  return Math.round(total);
}
