/**
 * What a test or a benchmark started (processes, etcds, temp dirs, clients), undone in
 * reverse order by `run()`, every step even when an earlier one fails, so a failing run
 * leaves nothing behind. Call `run()` from `afterEach`/`afterAll` or a `finally`.
 */
export class Cleanup {
  private readonly steps: { readonly what: string; readonly undo: () => unknown }[] = [];

  /** Registers `undo` (e.g. `() => etcd.remove()`) and returns `resource`, so starting and registering read as one line. */
  add<T>(what: string, resource: T, undo: (resource: T) => unknown): T {
    this.steps.push({ what, undo: () => undo(resource) });
    return resource;
  }

  /** Registers `undo` for something already held; e.g. `defer('remove the work dir', () => rm(dir, …))`. */
  defer(what: string, undo: () => unknown): void {
    this.steps.push({ what, undo });
  }

  /** Undoes everything registered, last first; throws one error naming each step that failed. */
  async run(): Promise<void> {
    const failures: string[] = [];
    for (let step = this.steps.pop(); step !== undefined; step = this.steps.pop()) {
      try {
        await step.undo();
      } catch (error) {
        failures.push(`${step.what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (failures.length > 0) throw new Error(`cleanup failed: ${failures.join('; ')}`);
  }
}
