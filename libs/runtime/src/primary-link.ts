import type { StoreHealth } from '@message-bus/repository';
import type { Logger, ServerMetrics } from '@message-bus/server-kit';
import type { Worker } from 'node:cluster';
import {
  isClusterMessage,
  type PrimaryMessage,
  type WorkerListening,
  type WorkerMessage,
} from './cluster-messages';
import { CommitRelay } from './commit-relay';

export interface PrimaryLinkOptions {
  /** This process's handle on the channel to its primary: `cluster.worker`. */
  readonly channel: Worker;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** The primary asks this worker to shut down, or is gone: drain and exit. */
  readonly onShutdown: (reason: string) => void;
}

/**
 * A worker process's side of its server (`--workers`): it tells the primary when it
 * listens and how its store answers, answers the primary's scrapes, relays commits of
 * the embedded store, and shuts down when the primary asks or goes away.
 */
export class PrimaryLink {
  /** The server's health as the primary last judged it; undefined until it says. */
  serverHealth: StoreHealth | undefined;
  readonly relay: CommitRelay;

  constructor(private readonly options: PrimaryLinkOptions) {
    const { channel } = options;
    this.relay = new CommitRelay({
      committed: (records) => this.send({ type: 'message-bus:committed', records }),
      watch: (prefix, watching) => this.send({ type: 'message-bus:watch', prefix, watching }),
    });
    channel.on('message', (message: unknown) => {
      if (isClusterMessage<PrimaryMessage>(message)) this.receive(message);
    });
    // The primary died (SIGKILL, a crash): nobody hands this worker connections any more.
    channel.on('disconnect', () => options.onShutdown('primary process gone'));
    // One that died while this worker was still loading sent its disconnect before anyone
    // listened; the worker would then wait forever for the ports only a primary hands out.
    if (!channel.isConnected()) queueMicrotask(() => options.onShutdown('primary process gone'));
  }

  listening(listening: WorkerListening): void {
    this.send({ type: 'message-bus:listening', ...listening });
  }

  storeHealth(health: StoreHealth): void {
    this.send({ type: 'message-bus:health', health });
  }

  private receive(message: PrimaryMessage): void {
    switch (message.type) {
      case 'message-bus:server-health':
        this.serverHealth = message.health;
        return;
      case 'message-bus:scrape':
        this.options.metrics.snapshot().then(
          (metrics) => this.send({ type: 'message-bus:metrics', id: message.id, metrics }),
          (error: unknown) => this.options.logger.error({ err: error }, 'metrics snapshot failed'),
        );
        return;
      case 'message-bus:committed':
        this.relay.receive(message.records);
        return;
      case 'message-bus:watched-elsewhere':
        this.relay.watchedElsewhere(message.prefixes);
        return;
      case 'message-bus:shutdown':
        this.options.onShutdown('asked by the primary process');
        return;
    }
  }

  private send(message: WorkerMessage): void {
    if (this.options.channel.isConnected()) this.options.channel.send(message);
  }
}
