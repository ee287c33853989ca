/**
 * Called once for every stored record a read skips because its key or value is
 * malformed, e.g. to log it. Event keys arrive cut after their bucket segment: the
 * rest may hold a device identifier written by the original system, which must never
 * reach a log. Reasons never quote a device identifier either.
 */
export type MalformedRecordHandler = (key: string, reason: string) => void;

/** Counts the malformed records reads have skipped, and tells the optional handler. */
export class MalformedRecords {
  private skipped = 0;

  constructor(
    /** `/{prefix}/detectors/`: keys below it are cut before their device part. */
    private readonly eventsRoot: string,
    private readonly handler: MalformedRecordHandler | undefined,
  ) {}

  get count(): number {
    return this.skipped;
  }

  skip(key: string, reason: string): void {
    this.skipped += 1;
    if (this.handler === undefined) return;
    try {
      this.handler(this.redact(key), reason);
    } catch {
      // A failing log hook must not turn a skipped record into a failed read.
    }
  }

  private redact(key: string): string {
    if (!key.startsWith(this.eventsRoot)) return key;
    const [detector = '', bucket] = key.slice(this.eventsRoot.length).split('/');
    const kept = bucket !== undefined && /^[0-9]+$/.test(bucket) ? `${detector}/${bucket}` : detector;
    const cut = this.eventsRoot.length + kept.length;
    return cut < key.length ? `${key.slice(0, cut)}/…` : key;
  }
}
