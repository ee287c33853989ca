import type { StoreHealth } from '@message-bus/repository';
import { ReportedExit, type Logger, type MetricsSnapshot } from '@message-bus/server-kit';
import type { KvEntry } from '@message-bus/store-kv';
import cluster, { type Worker } from 'node:cluster';
import {
  isClusterMessage,
  WORKER_SLOT_ENV,
  type PrimaryMessage,
  type WorkerListening,
  type WorkerMessage,
} from './cluster-messages';

/** More unexpected exits than this within CRASH_WINDOW_MS and the server gives up. */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 60_000;
const FIRST_RESTART_DELAY_MS = 200;
const MAX_RESTART_DELAY_MS = 10_000;
/** A worker that does not answer a scrape within this fails it: a sum without it would go down. */
const SCRAPE_TIMEOUT_MS = 5_000;

export interface WorkerSupervisorOptions {
  readonly count: number;
  readonly logger: Logger;
  /** Workers keep crashing: the server must stop (and exit non-zero). */
  readonly onCrashLoop: () => void;
  /** A worker's committed records under a prefix another process watches. */
  readonly onCommitted: (slot: number, records: readonly KvEntry[]) => void;
  /** A worker starts or stops watching a prefix. */
  readonly onWatch: (slot: number, prefix: string, watching: boolean) => void;
  /** A worker started (it needs to hear what the others watch) or exited (its watches are gone). */
  readonly onWorkerChange: (slot: number, running: boolean) => void;
}

interface Slot {
  readonly number: number;
  worker: Worker | undefined;
  /** Set from its `listening` message until it exits. */
  listening: WorkerListening | undefined;
  /** Its own store health, as it last reported. */
  health: StoreHealth | undefined;
  restart: NodeJS.Timeout | undefined;
}

/**
 * The primary process of a server with `--workers N`: forks N workers (node:cluster; they
 * share the gRPC ports, the primary hands them connections in turn), restarts one that
 * dies, with a growing delay, and gives up when they keep dying; sums their metrics and
 * judges their health; on shutdown asks each to drain and waits for them.
 *
 * node:cluster rather than worker threads: lmdb and etcd clients, grpc-js and the group
 * commit are per process already, and Node 20 has no SO_REUSEPORT for separate processes.
 */
export class WorkerSupervisor {
  readonly #slots: Slot[];
  readonly #crashTimes: number[] = [];
  readonly #scrapes = new Map<number, (metrics: MetricsSnapshot) => void>();
  #nextScrapeId = 1;
  #draining = false;
  /** Set once every worker has listened: from then on an exit is a crash to restart. */
  #started = false;
  #serverHealth: StoreHealth | undefined;

  constructor(private readonly options: WorkerSupervisorOptions) {
    this.#slots = Array.from({ length: options.count }, (_, index) => ({
      number: index + 1,
      worker: undefined,
      listening: undefined,
      health: undefined,
      restart: undefined,
    }));
    // Structured clone: committed records carry their values as Uint8Arrays.
    cluster.setupPrimary({ serialization: 'advanced' });
  }

  /**
   * Forks the first worker and waits until it listens (a port in use fails here, with
   * one line, from it alone), then the others. Resolves to what they serve; rejects
   * with `ReportedExit` when a worker exits first: it printed why.
   */
  async start(): Promise<WorkerListening> {
    const [first, ...others] = this.#slots;
    const listening = await this.fork(first!);
    const rest = await Promise.all(others.map((slot) => this.fork(slot)));
    for (const other of rest) {
      if (JSON.stringify(other.ports) !== JSON.stringify(listening.ports)) {
        throw new Error(
          `workers listen on different ports: ${JSON.stringify(listening.ports)} and ${JSON.stringify(other.ports)}`,
        );
      }
    }
    this.#started = true;
    return listening;
  }

  /** The workers' side of the server's health: each one running, and its store answering. */
  workersHealth(): StoreHealth {
    let writesRefused: string | undefined;
    for (const slot of this.#slots) {
      if (slot.listening === undefined) {
        return { reachable: false, reason: `worker ${slot.number} of ${this.#slots.length} is not serving` };
      }
      const health = slot.health;
      if (health === undefined) return { reachable: false, reason: `worker ${slot.number} has not probed the store yet` };
      if (!health.reachable) return { reachable: false, reason: `worker ${slot.number}: ${health.reason}` };
      writesRefused ??= health.writesRefused;
    }
    return writesRefused === undefined ? { reachable: true } : { reachable: true, writesRefused };
  }

  /** Tells every worker the server's health, so their own health checks answer for the whole server. */
  tellServerHealth(health: StoreHealth): void {
    this.#serverHealth = health;
    for (const slot of this.#slots) this.send(slot, { type: 'message-bus:server-health', health });
  }

  /** Each serving worker's metrics; rejects when one does not answer in time. */
  async scrapeWorkers(): Promise<MetricsSnapshot[]> {
    const serving = this.#slots.filter((slot) => slot.listening !== undefined && slot.worker !== undefined);
    return Promise.all(serving.map((slot) => this.scrape(slot)));
  }

  /** Sends records another process committed to the worker in `slot`. */
  deliver(slot: number, records: readonly KvEntry[]): void {
    const target = this.#slots[slot - 1];
    if (target !== undefined) this.send(target, { type: 'message-bus:committed', records });
  }

  tellWatchedElsewhere(slot: number, prefixes: readonly string[]): void {
    const target = this.#slots[slot - 1];
    if (target !== undefined) this.send(target, { type: 'message-bus:watched-elsewhere', prefixes });
  }

  /** The process ids of the workers running now. */
  runningPids(): number[] {
    return this.#slots.flatMap((slot) => (slot.worker?.process.pid === undefined ? [] : [slot.worker.process.pid]));
  }

  /** The worker slots running now. */
  runningSlots(): number[] {
    return this.#slots.filter((slot) => slot.worker !== undefined).map((slot) => slot.number);
  }

  /**
   * Asks every worker to shut down (stop taking calls, finish those in flight, commit
   * what was acknowledged, close the store) and waits for all to exit. Rejects when one
   * exits non-zero or has not exited within `timeoutMs` (it is then killed).
   */
  async drain(timeoutMs: number): Promise<void> {
    this.#draining = true;
    const running = this.#slots.filter((slot) => {
      clearTimeout(slot.restart);
      return slot.worker !== undefined;
    });
    const exits = running.map((slot) => {
      const worker = slot.worker!;
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        worker.once('exit', (code, signal) => resolve({ code, signal })),
      );
      // One still starting may not listen to its channel yet, and has nothing to drain: a signal ends it.
      const serving = slot.listening !== undefined;
      if (serving) this.send(slot, { type: 'message-bus:shutdown' });
      else worker.process.kill('SIGTERM');
      return { slot, worker, exited, serving };
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
    const failures: string[] = [];
    try {
      await Promise.all(
        exits.map(async ({ slot, worker, exited, serving }) => {
          const outcome = await Promise.race([exited, late]);
          if (outcome === 'late') {
            worker.process.kill('SIGKILL');
            failures.push(`worker ${slot.number} still running after ${timeoutMs} ms (killed)`);
          } else if (serving && outcome.code !== 0) {
            failures.push(`worker ${slot.number} exited with ${outcome.signal ?? outcome.code}`);
          }
        }),
      );
    } finally {
      clearTimeout(timer);
    }
    if (failures.length > 0) throw new Error(failures.join('; '));
  }

  /** Kills every worker at once: the primary failed to start. */
  abandon(): void {
    this.#draining = true;
    for (const slot of this.#slots) {
      clearTimeout(slot.restart);
      slot.worker?.process.kill('SIGKILL');
    }
  }

  /** Forks the worker of `slot`; resolves once it listens, rejects when it exits before. */
  private fork(slot: Slot): Promise<WorkerListening> {
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot.number) });
    slot.worker = worker;
    this.options.onWorkerChange(slot.number, true);
    return new Promise<WorkerListening>((resolve, reject) => {
      worker.on('message', (message: unknown) => {
        if (!isClusterMessage<WorkerMessage>(message)) return;
        if (message.type === 'message-bus:listening') {
          slot.listening = message;
          if (this.#serverHealth !== undefined) {
            this.send(slot, { type: 'message-bus:server-health', health: this.#serverHealth });
          }
          resolve(message);
        } else {
          this.receive(slot, message);
        }
      });
      worker.once('exit', (code, signal) => {
        const listened = slot.listening !== undefined;
        slot.worker = undefined;
        slot.listening = undefined;
        slot.health = undefined;
        this.options.onWorkerChange(slot.number, false);
        if (!listened) reject(new ReportedExit(code === 0 || code === null ? 1 : code));
        if (this.#draining || !this.#started) return;
        this.options.logger.error(
          { worker: slot.number, pid: worker.process.pid, code, signal },
          'worker process exited unexpectedly',
        );
        this.restartLater(slot);
      });
    });
  }

  private receive(slot: Slot, message: WorkerMessage): void {
    switch (message.type) {
      case 'message-bus:health':
        slot.health = message.health;
        return;
      case 'message-bus:metrics':
        this.#scrapes.get(message.id)?.(message.metrics);
        return;
      case 'message-bus:committed':
        this.options.onCommitted(slot.number, message.records);
        return;
      case 'message-bus:watch':
        this.options.onWatch(slot.number, message.prefix, message.watching);
        return;
      case 'message-bus:listening':
        return;
    }
  }

  private restartLater(slot: Slot): void {
    const now = Date.now();
    this.#crashTimes.push(now);
    while (this.#crashTimes[0]! < now - CRASH_WINDOW_MS) this.#crashTimes.shift();
    if (this.#crashTimes.length > MAX_CRASHES) {
      this.options.logger.fatal(
        { crashes: this.#crashTimes.length, windowMs: CRASH_WINDOW_MS },
        'worker processes keep exiting; stopping the server',
      );
      this.options.onCrashLoop();
      return;
    }
    const delay = Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** (this.#crashTimes.length - 1));
    slot.restart = setTimeout(() => {
      slot.restart = undefined;
      if (this.#draining) return;
      this.fork(slot).then(
        () => this.options.logger.info({ worker: slot.number }, 'worker process serving again'),
        // Its exit was logged and another restart scheduled, or the server is stopping.
        () => undefined,
      );
    }, delay);
  }

  private scrape(slot: Slot): Promise<MetricsSnapshot> {
    const id = this.#nextScrapeId++;
    return new Promise<MetricsSnapshot>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#scrapes.delete(id);
        reject(new Error(`worker ${slot.number} did not answer a scrape within ${SCRAPE_TIMEOUT_MS} ms`));
      }, SCRAPE_TIMEOUT_MS);
      this.#scrapes.set(id, (metrics) => {
        clearTimeout(timer);
        this.#scrapes.delete(id);
        resolve(metrics);
      });
      if (!this.send(slot, { type: 'message-bus:scrape', id })) {
        clearTimeout(timer);
        this.#scrapes.delete(id);
        reject(new Error(`worker ${slot.number} is not connected`));
      }
    });
  }

  /** Sends when the worker's channel is open; false otherwise (it is exiting). */
  private send(slot: Slot, message: PrimaryMessage): boolean {
    const worker = slot.worker;
    if (worker === undefined || !worker.isConnected()) return false;
    worker.send(message);
    return true;
  }
}
