import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbBackend } from '@message-bus/store-embedded';
import { EtcdBackend } from '@message-bus/store-etcd';
import { KvRepository, prefixEnd, type KvBackend, type KvEntry } from '@message-bus/store-kv';
import { etcdEndpoints } from '@message-bus/tools/etcd';

export type StoreKind = 'embedded' | 'etcd';

/**
 * Tests run on a fixed clock in 2023; the default 7-day retention would let etcd leases
 * and the lmdb sweep remove those events while a test still looks at them.
 */
const TEST_EVENT_RETENTION_SECONDS = 20 * 365 * 24 * 3600;

/** A real repository on a fresh namespace, and the backend under it for raw scans. */
export interface TestStore {
  readonly kind: StoreKind;
  readonly repository: KvRepository;
  /** Every key and value the repository wrote (the embedded store: everything in the environment). */
  allEntries(): Promise<KvEntry[]>;
  /** The embedded store's files, byte for byte (free pages included); undefined for etcd. */
  files?(): Promise<Buffer[]>;
  close(): Promise<void>;
}

export async function openTestStore(kind: StoreKind): Promise<TestStore> {
  const prefix = `collector-test-${randomUUID()}`;
  if (kind === 'embedded') {
    const directory = await mkdtemp(join(tmpdir(), 'collector-test-'));
    const backend = new LmdbBackend({ path: directory });
    const repository = new KvRepository(backend, {
      prefix,
      eventRetentionSeconds: TEST_EVENT_RETENTION_SECONDS,
    });
    return {
      kind,
      repository,
      // '' to U+10FFFF: every key the environment holds, not only this namespace.
      allEntries: () => collect(backend, '', '\u{10FFFF}'),
      files: async () =>
        Promise.all((await readdir(directory)).map((name) => readFile(join(directory, name)))),
      close: async () => {
        await repository.close();
        await rm(directory, { recursive: true, force: true });
      },
    };
  }
  const backend = new EtcdBackend({ hosts: etcdEndpoints() });
  const repository = new KvRepository(backend, {
    prefix,
    eventRetentionSeconds: TEST_EVENT_RETENTION_SECONDS,
  });
  const root = repository.keyspace.root;
  return {
    kind,
    repository,
    allEntries: () => collect(backend, root, prefixEnd(root)),
    close: () => repository.close(),
  };
}

async function collect(backend: KvBackend, start: string, end: string): Promise<KvEntry[]> {
  const entries: KvEntry[] = [];
  for await (const entry of backend.scan({ start, end })) entries.push(entry);
  return entries;
}
