import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { LOAD_GENERATOR_FLAG } from './load-generator';
import type { FromLoadGenerator, LoadJob, LoadProgress, LoadResult, ToLoadGenerator } from './load-jobs';

interface PendingJob {
  readonly resolve: (result: LoadResult) => void;
  readonly reject: (error: Error) => void;
  readonly onProgress?: (progress: LoadProgress) => void;
}

/**
 * The load generator as a separate process, so its CPU (building and encoding
 * messages) is not the server's nor the suite's: this very bundle started again with
 * `--load-generator` (see `serveLoadGenerator`), driven over IPC one job at a time.
 */
export class LoadGeneratorProcess {
  private nextId = 0;
  private readonly pending = new Map<number, PendingJob>();
  private exitError: Error | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: FromLoadGenerator) => this.receive(message));
    child.once('exit', (code, signal) => {
      this.exitError = new Error(`the load generator exited (${signal ?? code})`);
      for (const job of this.pending.values()) job.reject(this.exitError);
      this.pending.clear();
    });
  }

  /** Starts the script this process runs (`process.argv[1]`, the suite's bundle) as the load generator. */
  static async start(): Promise<LoadGeneratorProcess> {
    const script = process.argv[1];
    if (script === undefined) throw new Error('cannot tell which script to start as the load generator');
    const child = fork(script, [LOAD_GENERATOR_FLAG], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const [message] = (await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(([code]) => {
        throw new Error(`the load generator exited (${String(code)}) before it was ready`);
      }),
    ])) as [FromLoadGenerator];
    if (message.type !== 'ready') throw new Error(`the load generator sent ${message.type} before ready`);
    return new LoadGeneratorProcess(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Runs one job; resolves with what it took, rejects with the load generator's error. */
  run(job: LoadJob, onProgress?: (progress: LoadProgress) => void): Promise<LoadResult> {
    if (this.exitError !== undefined) return Promise.reject(this.exitError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...(onProgress === undefined ? {} : { onProgress }) });
      this.child.send({ type: 'run', id, job } satisfies ToLoadGenerator);
    });
  }

  /** Asks it to exit and waits; kills it if it does not within 5 s. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.send({ type: 'exit' } satisfies ToLoadGenerator);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private receive(message: FromLoadGenerator): void {
    if (message.type === 'ready') return;
    const job = this.pending.get(message.id);
    if (job === undefined) return;
    if (message.type === 'progress') {
      job.onProgress?.(message.progress);
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'result') job.resolve(message.result);
    else job.reject(new Error(`load generator: ${message.error}`));
  }
}
