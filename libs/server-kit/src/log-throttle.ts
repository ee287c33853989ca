/**
 * Lets through at most one log line per key (a client address) per period, and counts
 * the lines it holds back, so the next line let through can say how many were not written.
 */
export class PerKeyLogThrottle {
  /** Per key: when its last line was let through, and the lines held back since. */
  private readonly keys = new Map<string, { since: number; held: number }>();

  constructor(
    private readonly periodMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Undefined: hold this line back. Otherwise the key's lines held back since its last one let through. */
  admit(key: string): number | undefined {
    const now = this.now();
    const entry = this.keys.get(key);
    if (entry !== undefined && now - entry.since < this.periodMs) {
      entry.held += 1;
      return undefined;
    }
    // A key whose period ended with nothing held back tells nothing: forgetting it keeps the map small.
    for (const [other, { since, held }] of this.keys) {
      if (held === 0 && now - since >= this.periodMs) this.keys.delete(other);
    }
    this.keys.set(key, { since: now, held: 0 });
    return entry?.held ?? 0;
  }
}
