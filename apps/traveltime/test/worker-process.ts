import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const mainScript = resolve(__dirname, '../dist/main.js');

/** One JSON log line of the worker process. */
export interface LogEntry {
  readonly msg?: string;
  readonly worker?: string;
  readonly destination?: string;
  readonly [field: string]: unknown;
}

/** The built traveltime app as a child process, with its log lines kept for inspection. */
export class WorkerProcess {
  readonly log: LogEntry[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  }

  /** Starts `dist/main.js` with a free health port and no metrics port, and waits for its `ready` line. */
  static async start(args: readonly string[]): Promise<WorkerProcess> {
    const child = spawn(
      process.execPath,
      [mainScript, '--healthcheck_port=127.0.0.1:0', '--metrics_port=', ...args],
      { env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const worker = new WorkerProcess(child);
    const errors: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => errors.push(line));
    await new Promise<void>((ready, fail) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const entry = JSON.parse(line) as LogEntry;
        worker.log.push(entry);
        if (entry.msg === 'ready') ready();
      });
      child.once('exit', (code) =>
        fail(new Error(`traveltime exited with ${code} before ready: ${errors.join('\n')}`)),
      );
    });
    return worker;
  }

  /** The worker id it logs and holds etcd locks under. */
  get workerId(): string | undefined {
    return this.log.find((entry) => entry.msg === 'travel-time worker started')?.worker;
  }

  /** Destinations it holds now, as its log tells: taken, less those handed over or lost since. */
  destinationsHeld(): string[] {
    const held = new Set<string>();
    for (const { msg, destination } of this.log) {
      if (destination === undefined) continue;
      if (msg === 'holding destination') held.add(destination);
      if (msg === 'handed a destination over to balance the workers') held.delete(destination);
      if (msg === 'lost a destination; another worker may take it over') held.delete(destination);
    }
    return [...held].sort();
  }
}
