import { StoreInvalidArgumentError } from '@message-bus/repository';
import type { KvEntry } from '@message-bus/store-kv';

/** How to open an {@link LmdbBackend}. Nothing is read from the environment. */
export interface LmdbBackendOptions {
  /**
   * Directory holding the lmdb files (`data.mdb`, `lock.mdb`); created when missing.
   * Always a directory, even when its name has a dot in it. Example: `/var/lib/message-bus/store`.
   */
  readonly path: string;
  /**
   * How often, in milliseconds, records whose expiry has passed are deleted. The timer
   * never keeps the process alive. Default 60 000 (one minute). Example: `300_000`.
   */
  readonly sweepIntervalMs?: number;
  /**
   * Whether this backend deletes expired records on its own timer. Default true. False
   * when several processes share the directory (a server's `--workers`): one of them
   * sweeps, the others would only queue behind it for lmdb's one writer.
   * `sweepExpired()` works either way.
   */
  readonly sweeps?: boolean;
  /**
   * Carries committed puts between processes sharing the directory, so a watch in one
   * sees the puts of all: lmdb itself tells no other process. Default: none, the
   * directory has one process.
   */
  readonly commitRelay?: LmdbCommitRelay;
  /**
   * How many published records a watch may hold for a consumer that has not read them
   * yet. A watch that falls further behind fails with `StoreUnavailableError` after
   * handing out what it holds, so the consumer can re-read and watch again; writers
   * never wait for readers. Default 10 000. Example: `50_000`.
   */
  readonly watchBufferLimit?: number;
  /** The clock the sweep compares expiries with, in unix milliseconds. Default `Date.now`; tests inject one. */
  readonly now?: () => number;
}

/**
 * The link between the processes of one server that share an lmdb directory. Watches see
 * each process's puts in that process's commit order; puts of different processes reach
 * a watch in the order they arrive. A watch sees another process's puts from the moment
 * that process learns of it (`watching`), one message between processes after it starts.
 */
export interface LmdbCommitRelay {
  /** Records this process committed, in commit order: the relay sends on those another process watches. */
  committed(records: readonly KvEntry[]): void;
  /** Where the relay delivers what other processes committed; set once, when the backend opens. */
  deliverTo(publish: (records: readonly KvEntry[]) => void): void;
  /** This process watches `prefix` until `signal` aborts. */
  watching(prefix: string, signal: AbortSignal): void;
}

export type ResolvedLmdbBackendOptions = Required<Omit<LmdbBackendOptions, 'commitRelay'>> &
  Pick<LmdbBackendOptions, 'commitRelay'>;

export const defaultSweepIntervalMs = 60_000;
export const defaultWatchBufferLimit = 10_000;

/** Fills in the defaults and rejects values that cannot work, naming the option and why. */
export function resolveLmdbBackendOptions(options: LmdbBackendOptions): ResolvedLmdbBackendOptions {
  if (typeof options.path !== 'string' || options.path.trim() === '') {
    throw new StoreInvalidArgumentError('LmdbBackendOptions.path must be a non-empty directory path');
  }
  const sweepIntervalMs = options.sweepIntervalMs ?? defaultSweepIntervalMs;
  // setInterval cannot wait longer than 2^31 - 1 ms; it would fire at once instead.
  if (!Number.isInteger(sweepIntervalMs) || sweepIntervalMs < 1 || sweepIntervalMs > 2 ** 31 - 1) {
    throw new StoreInvalidArgumentError(
      `LmdbBackendOptions.sweepIntervalMs must be an integer from 1 to ${2 ** 31 - 1}, got ${sweepIntervalMs}`,
    );
  }
  const watchBufferLimit = options.watchBufferLimit ?? defaultWatchBufferLimit;
  if (!Number.isInteger(watchBufferLimit) || watchBufferLimit < 1) {
    throw new StoreInvalidArgumentError(
      `LmdbBackendOptions.watchBufferLimit must be a positive integer, got ${watchBufferLimit}`,
    );
  }
  return {
    path: options.path,
    sweepIntervalMs,
    sweeps: options.sweeps ?? true,
    commitRelay: options.commitRelay,
    watchBufferLimit,
    now: options.now ?? Date.now,
  };
}
