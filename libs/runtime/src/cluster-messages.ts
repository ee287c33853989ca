import type { StoreHealth } from '@message-bus/repository';
import type { LocalService, MetricsSnapshot } from '@message-bus/server-kit';
import type { KvEntry } from '@message-bus/store-kv';

/**
 * The messages between a server's primary process and its workers (`--workers`), over
 * node:cluster's IPC channel with `advanced` serialization (structured clone), so
 * records' byte values cross as Uint8Arrays.
 */

/** The environment variable that names a worker's slot, 1 to N; it stays the same across restarts. */
export const WORKER_SLOT_ENV = 'MESSAGE_BUS_WORKER_SLOT';

/** What a worker serves, once its ports listen. */
export interface WorkerListening {
  /** The ports of its parts, as bound: the same in every worker (they share them). */
  readonly ports: Readonly<Record<string, number>>;
  /** Each part's gRPC port and tokens, for a part of the primary that calls it (the dashboard). */
  readonly services: Readonly<Record<string, LocalService>>;
  /** The options naming those ports (`collector_port`), for the port security line. */
  readonly portOptions: readonly string[];
}

export type WorkerMessage =
  | ({ readonly type: 'message-bus:listening' } & WorkerListening)
  /** The worker's own store health, whenever it changes. */
  | { readonly type: 'message-bus:health'; readonly health: StoreHealth }
  | { readonly type: 'message-bus:metrics'; readonly id: number; readonly metrics: MetricsSnapshot }
  /** Committed records that another process watches. */
  | { readonly type: 'message-bus:committed'; readonly records: readonly KvEntry[] }
  /** The prefix the worker starts (`watching`) or stops watching. */
  | { readonly type: 'message-bus:watch'; readonly prefix: string; readonly watching: boolean };

export type PrimaryMessage =
  /** The whole server's health, as the primary judges it: the worker's health checks show it. */
  | { readonly type: 'message-bus:server-health'; readonly health: StoreHealth }
  | { readonly type: 'message-bus:scrape'; readonly id: number }
  | { readonly type: 'message-bus:committed'; readonly records: readonly KvEntry[] }
  /** The prefixes the other processes watch now: the worker relays its commits under them. */
  | { readonly type: 'message-bus:watched-elsewhere'; readonly prefixes: readonly string[] }
  | { readonly type: 'message-bus:shutdown' };

/** Whether `message` is one of ours (prom-client and node use the channel too). */
export function isClusterMessage<M extends { readonly type: string }>(message: unknown): message is M {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { type?: unknown }).type === 'string' &&
    (message as { type: string }).type.startsWith('message-bus:')
  );
}
