import type { CallOptions, Interceptor, InterceptorOptions, NextCall } from '@grpc/grpc-js';
import type { KvWatchEntry } from '@message-bus/store-kv';
import type { CallOptionsFactory, Etcd3, IWatchResponse, Watcher } from 'etcd3';
import { viewOf } from './buffer-view';

/**
 * Call options for a client whose watches must not stay on a member without a leader:
 * the `callerOptions`, and on the Watch stream the gRPC metadata `hasleader: true` (what
 * Go's clientv3 sends with `WithRequireLeader`). etcd then refuses that stream on a member
 * that has no leader, and ends it once the member it runs on has had none for three
 * election timeouts, so the watch reconnects, possibly elsewhere, and resumes (see
 * `EtcdWatch`). Without it, a member cut off from its peers but not from the client keeps
 * the stream open and silent: it commits nothing new, so it has nothing to send.
 */
export function watchesRequireLeader(callerOptions: CallOptionsFactory | undefined): CallOptionsFactory {
  return (context) => {
    const options: CallOptions =
      (typeof callerOptions === 'function' ? callerOptions(context) : callerOptions) ?? {};
    if (context.service !== 'Watch') return options;
    return { ...options, interceptors: [...(options.interceptors ?? []), requireLeader] };
  };
}

/**
 * Adds `hasleader: true` to the call's metadata, on a copy (etcd3 may share one metadata
 * object across calls). It hands back the next call with its `start` wrapped, not a
 * grpc-js `InterceptingCall`, so this package imports no grpc-js code of its own: the
 * calls are etcd3's, made with etcd3's grpc-js.
 */
const requireLeader = ((options: InterceptorOptions, nextCall: NextCall) => {
  const call = nextCall(options);
  const start = call.start.bind(call);
  call.start = (metadata, listener) => {
    const withLeader = metadata.clone();
    withLeader.set('hasleader', 'true');
    start(withLeader, listener);
  };
  return call;
}) as Interceptor;

/**
 * Puts under one prefix, from a given revision on, as an async iterator. Resumes after
 * a lost connection from the revision after the last one delivered; with a client made
 * with `watchesRequireLeader`, also after etcd ended the stream on a member without a leader.
 *
 * etcd3's Watcher resumes from the last response header's revision + 1, and a header
 * (of a created or catch-up response) can be ahead of the events delivered so far; so
 * the resume point is set here, from delivered events, each time the stream drops.
 */
export class EtcdWatch implements AsyncIterableIterator<KvWatchEntry> {
  private readonly queue: KvWatchEntry[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private ended = false;
  private watcher: Watcher | undefined;
  /** Every revision up to this one has been delivered (or predates the watch). */
  private deliveredRevision: bigint;

  /**
   * @param afterRevision the store revision when the watch was asked for; puts committed
   *   after it are delivered
   * @param toError turns a client error into the backend's typed error
   * @param onEnd called once when the watch ends, for the backend's bookkeeping
   */
  constructor(
    client: Etcd3,
    prefix: string,
    afterRevision: bigint,
    private readonly toError: (error: unknown) => Error,
    private readonly onEnd: (watch: EtcdWatch) => void,
  ) {
    this.deliveredRevision = afterRevision;
    const watcher = client
      .watch()
      .prefix(prefix)
      .only('put')
      .startRevision(String(afterRevision + 1n))
      .watcher();
    this.watcher = watcher;
    watcher.on('data', (response) => this.deliver(response));
    watcher.on('disconnected', () => {
      watcher.request.start_revision = String(this.deliveredRevision + 1n);
    });
    watcher.on('error', (error) => this.fail(this.toError(error)));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<KvWatchEntry>> {
    for (;;) {
      const entry = this.queue.shift();
      if (entry) return { value: entry, done: false };
      if (this.failure) {
        const failure = this.failure;
        this.failure = undefined;
        this.ended = true;
        throw failure;
      }
      if (this.ended) return { value: undefined, done: true };
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async return(): Promise<IteratorResult<KvWatchEntry>> {
    this.stop();
    return { value: undefined, done: true };
  }

  /** Ends the watch: entries already received are still returned, then the iterator ends. */
  stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
    this.signal();
  }

  private fail(error: Error): void {
    if (this.ended) return;
    this.failure = error;
    this.release();
    this.signal();
  }

  private release(): void {
    const watcher = this.watcher;
    this.watcher = undefined;
    // Cancelling waits for etcd's acknowledgement, which never comes while etcd is down;
    // nothing here depends on it, and closing the client tears the stream down anyway.
    watcher?.cancel().catch(() => undefined);
    this.onEnd(this);
  }

  private deliver(response: IWatchResponse): void {
    if (!this.watcher) return;
    const before = this.deliveredRevision;
    for (const event of response.events) {
      const revision = BigInt(event.kv.mod_revision);
      // A response holds whole revisions, so anything at or below `before` came earlier.
      if (event.type !== 'Put' || revision <= before) continue;
      const value = event.kv.value;
      this.queue.push({
        key: event.kv.key.toString('utf8'),
        value: viewOf(value),
        replaced: event.kv.version !== '1',
      });
      if (revision > this.deliveredRevision) this.deliveredRevision = revision;
    }
    this.signal();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
