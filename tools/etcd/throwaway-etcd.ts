import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdProcess, freePorts, PortTakenError } from './etcd-process';

/** How to start a throwaway etcd. */
export interface ThrowawayEtcdOptions {
  /** The etcd executable; e.g. `/usr/bin/etcd`. Default: `etcd` from PATH. */
  readonly binary?: string;
  /** etcd's `--quota-backend-bytes`; e.g. `4 * 1024 * 1024` to provoke the NOSPACE alarm. Default: etcd's (2 GiB). */
  readonly quotaBackendBytes?: number;
  /** Further etcd flags; e.g. `['--auto-compaction-retention=1h']`. */
  readonly extraArgs?: readonly string[];
  /** How long to wait for etcd to answer after starting it; e.g. `10_000`. Default: 15 s. */
  readonly startTimeoutMs?: number;
}

/** A running etcd on loopback, owned by the test that started it. */
export interface ThrowawayEtcd {
  /** The client URL; e.g. `http://127.0.0.1:40123`. Stays the same across stop and start. */
  readonly endpoint: string;
  /** The temp directory holding etcd's data (`data/`) and its log (`etcd.log`). */
  readonly dataDir: string;
  /** Whether the etcd process is running. */
  readonly running: boolean;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
  /** Sends `signal` (default SIGKILL), then waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts etcd again on the same ports and data directory and waits until it answers. */
  start(): Promise<void>;
  /** Stops etcd and deletes its directory. */
  remove(): Promise<void>;
}

const defaultStartTimeoutMs = 15_000;
const portRaceAttempts = 5;

/**
 * Starts etcd on free loopback ports (client and peer) with a fresh temp directory and
 * resolves once it answers `/health`. etcd's output goes to `<dataDir>/etcd.log`; it is
 * shown only when startup fails.
 */
export async function startThrowawayEtcd(options: ThrowawayEtcdOptions = {}): Promise<ThrowawayEtcd> {
  const dataDir = await mkdtemp(join(tmpdir(), 'throwaway-etcd-'));
  try {
    for (let attempt = 1; ; attempt++) {
      const [clientPort, peerPort] = await freePorts(2);
      const instance = new EtcdInstance(options, dataDir, clientPort!, peerPort!);
      try {
        await instance.start();
        return instance;
      } catch (error) {
        // Another process may have taken a port between our probe and etcd's bind.
        if (!(error instanceof PortTakenError) || attempt >= portRaceAttempts) throw error;
      }
    }
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

class EtcdInstance implements ThrowawayEtcd {
  readonly endpoint: string;
  private readonly process: EtcdProcess;

  constructor(
    private readonly options: ThrowawayEtcdOptions,
    readonly dataDir: string,
    clientPort: number,
    peerPort: number,
  ) {
    this.endpoint = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    this.process = new EtcdProcess({
      binary: options.binary ?? 'etcd',
      args: [
        '--name=throwaway',
        `--data-dir=${join(dataDir, 'data')}`,
        `--listen-client-urls=${this.endpoint}`,
        `--advertise-client-urls=${this.endpoint}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=throwaway=${peer}`,
        '--initial-cluster-state=new',
        ...(options.quotaBackendBytes === undefined
          ? []
          : [`--quota-backend-bytes=${options.quotaBackendBytes}`]),
        ...(options.extraArgs ?? []),
      ],
      clientPort,
      logFile: join(dataDir, 'etcd.log'),
      description: `throwaway etcd at ${this.endpoint} (peer port ${peerPort})`,
    });
  }

  get running(): boolean {
    return this.process.running;
  }

  start(): Promise<void> {
    return this.process.start(this.options.startTimeoutMs ?? defaultStartTimeoutMs);
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return this.process.kill(signal);
  }

  async remove(): Promise<void> {
    await this.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
