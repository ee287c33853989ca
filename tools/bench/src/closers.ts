/** What a run started, to stop in reverse order: every closer runs even if an earlier one fails. */
export class Closers {
  private readonly closers: (() => Promise<unknown>)[] = [];

  constructor(
    /** Names the run in the error when a closer fails; e.g. `the end-to-end benchmark`. */
    private readonly owner: string,
  ) {}

  add(closer: () => Promise<unknown>): void {
    this.closers.push(closer);
  }

  async run(): Promise<void> {
    const failures: unknown[] = [];
    for (const closer of this.closers.splice(0).reverse()) {
      try {
        await closer();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, `cleaning up after ${this.owner} failed`);
  }
}
