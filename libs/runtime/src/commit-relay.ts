import type { LmdbCommitRelay } from '@message-bus/store-embedded';
import type { KvEntry } from '@message-bus/store-kv';

/** What a process's relay tells the rest of the server. */
export interface RelayOutbox {
  committed(records: readonly KvEntry[]): void;
  watch(prefix: string, watching: boolean): void;
}

/**
 * One process's end of the embedded store's commit relay (see `LmdbCommitRelay`): it
 * sends on only records under a prefix another process watches, so a server nobody
 * follows (StreamEvents, the dashboard's live views) pays nothing for it.
 */
export class CommitRelay implements LmdbCommitRelay {
  #watchedElsewhere: readonly string[] = [];
  readonly #localWatches = new Map<string, number>();
  #publish: ((records: readonly KvEntry[]) => void) | undefined;

  constructor(private readonly outbox: RelayOutbox) {}

  committed(records: readonly KvEntry[]): void {
    const prefixes = this.#watchedElsewhere;
    if (prefixes.length === 0) return;
    const wanted: KvEntry[] = [];
    for (const { key, value } of records) {
      if (prefixes.some((prefix) => key.startsWith(prefix))) wanted.push({ key, value });
    }
    if (wanted.length > 0) this.outbox.committed(wanted);
  }

  deliverTo(publish: (records: readonly KvEntry[]) => void): void {
    this.#publish = publish;
  }

  watching(prefix: string, signal: AbortSignal): void {
    const count = this.#localWatches.get(prefix) ?? 0;
    this.#localWatches.set(prefix, count + 1);
    if (count === 0) this.outbox.watch(prefix, true);
    signal.addEventListener(
      'abort',
      () => {
        const left = (this.#localWatches.get(prefix) ?? 1) - 1;
        if (left > 0) {
          this.#localWatches.set(prefix, left);
          return;
        }
        this.#localWatches.delete(prefix);
        this.outbox.watch(prefix, false);
      },
      { once: true },
    );
  }

  /** Records another process committed, for this process's watches. */
  receive(records: readonly KvEntry[]): void {
    this.#publish?.(records);
  }

  /** The prefixes the other processes watch now. */
  watchedElsewhere(prefixes: readonly string[]): void {
    this.#watchedElsewhere = prefixes;
  }
}

/**
 * The primary's switchboard of the relay: which process watches which prefixes, and
 * where a process's commits must go. Processes are named by a key: `0` the primary,
 * 1 to N the worker slots.
 */
export class RelayHub {
  readonly #watched = new Map<number, Set<string>>();

  constructor(
    private readonly deliver: (process: number, records: readonly KvEntry[]) => void,
    private readonly tellWatchedElsewhere: (process: number, prefixes: readonly string[]) => void,
    /** Every process running now, the primary included. */
    private readonly processes: () => readonly number[],
  ) {}

  /** `from` committed `records` under prefixes another process watches. */
  committed(from: number, records: readonly KvEntry[]): void {
    for (const [process, prefixes] of this.#watched) {
      if (process === from || prefixes.size === 0) continue;
      const wanted = records.filter(({ key }) => [...prefixes].some((prefix) => key.startsWith(prefix)));
      if (wanted.length > 0) this.deliver(process, wanted);
    }
  }

  watch(process: number, prefix: string, watching: boolean): void {
    const prefixes = this.#watched.get(process) ?? new Set<string>();
    if (watching) prefixes.add(prefix);
    else prefixes.delete(prefix);
    this.#watched.set(process, prefixes);
    this.announce();
  }

  /** A process is gone (a worker exited): its watches ended with it. */
  forget(process: number): void {
    if (this.#watched.delete(process)) this.announce();
  }

  /** Tells `process` what the others watch, e.g. a worker that has just started. */
  tell(process: number): void {
    this.tellWatchedElsewhere(process, this.watchedBesides(process));
  }

  private announce(): void {
    for (const process of this.processes()) this.tell(process);
  }

  private watchedBesides(process: number): string[] {
    const prefixes = new Set<string>();
    for (const [other, watched] of this.#watched) {
      if (other !== process) for (const prefix of watched) prefixes.add(prefix);
    }
    return [...prefixes];
  }
}
