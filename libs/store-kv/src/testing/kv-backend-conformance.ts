import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { StoreUnavailableError } from '@message-bus/repository';
import type { KvBackend, KvEntry, KvRange, KvRecord } from '../kv-backend';

/** What a backend's test gives the suite: a backend on a store, and how to get it back. */
export interface KvBackendFixture {
  readonly backend: KvBackend;
  /**
   * Opens the same store again, after the suite closed `backend`; given when the store
   * outlives its backend (a directory, an etcd cluster), so durability is tested too.
   */
  readonly reopen?: () => Promise<KvBackend>;
  /** Releases what opening made (a temp directory, a client); the suite has closed every backend first. */
  readonly cleanup: () => Promise<void>;
}

/**
 * Registers Vitest tests for every method of `KvBackend` against the backend `open`
 * makes. Every test works under its own random key prefix, so a shared store (one etcd
 * for a whole test run) needs no clearing and other data there is never touched. Expiry
 * is backend-specific (etcd leases, an lmdb sweep) and left to each backend's own tests.
 *
 * `open` is called once for the tests that share a backend, and once more for each test
 * that closes its backend.
 */
export function describeKvBackendConformance(name: string, open: () => Promise<KvBackendFixture>): void {
  describe(`KvBackend conformance: ${name}`, () => {
    let shared: KvBackendFixture;
    let backend: KvBackend;

    beforeAll(async () => {
      shared = await open();
      backend = shared.backend;
    });

    afterAll(async () => {
      await backend?.close();
      await shared?.cleanup();
    });

    describe('put and get', () => {
      test('get returns the bytes put, and undefined for a key never put', async () => {
        const prefix = isolatedPrefix();
        const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);
        await backend.put([
          { key: `${prefix}binary`, value: everyByte },
          { key: `${prefix}text`, value: bytes('hello') },
        ]);

        expect(Array.from((await backend.get(`${prefix}binary`)) ?? [])).toEqual(Array.from(everyByte));
        expect(text(await backend.get(`${prefix}text`))).toBe('hello');
        expect(await backend.get(`${prefix}missing`)).toBeUndefined();
      });

      test('an empty value is stored as an empty value, not as a missing key', async () => {
        const prefix = isolatedPrefix();
        await backend.put([{ key: `${prefix}empty`, value: new Uint8Array(0) }]);

        const value = await backend.get(`${prefix}empty`);
        expect(value).toBeInstanceOf(Uint8Array);
        expect(value?.length).toBe(0);
      });

      test('a later put overwrites the value and leaves one entry', async () => {
        const prefix = isolatedPrefix();
        await backend.put([{ key: `${prefix}k`, value: bytes('first') }]);
        await backend.put([{ key: `${prefix}k`, value: bytes('second') }]);

        expect(text(await backend.get(`${prefix}k`))).toBe('second');
        expect(await scanAll(backend, { start: prefix, end: prefixEnd(prefix) })).toEqual([
          [`${prefix}k`, 'second'],
        ]);
      });

      test('putting the same records again is harmless', async () => {
        const prefix = isolatedPrefix();
        const records = [
          { key: `${prefix}a`, value: bytes('1') },
          { key: `${prefix}b`, value: bytes('2') },
        ];
        await backend.put(records);
        await backend.put(records);

        expect(await scanAll(backend, { start: prefix, end: prefixEnd(prefix) })).toEqual([
          [`${prefix}a`, '1'],
          [`${prefix}b`, '2'],
        ]);
      });

      test('an empty batch resolves and writes nothing', async () => {
        await expect(backend.put([])).resolves.toBeUndefined();
      });

      test('10,000 records in one call are all stored, in key order', async () => {
        const prefix = isolatedPrefix();
        const records: KvRecord[] = [];
        for (let i = 9_999; i >= 0; i -= 1) {
          records.push({ key: `${prefix}${String(i).padStart(5, '0')}`, value: bytes(`value-${i}`) });
        }
        await backend.put(records);

        const ascending = await scanAll(backend, { start: prefix, end: prefixEnd(prefix) });
        expect(ascending).toHaveLength(10_000);
        expect(ascending[0]).toEqual([`${prefix}00000`, 'value-0']);
        expect(ascending[4_321]).toEqual([`${prefix}04321`, 'value-4321']);
        expect(ascending[9_999]).toEqual([`${prefix}09999`, 'value-9999']);
        expect(ascending.every(([key], i) => key === `${prefix}${String(i).padStart(5, '0')}`)).toBe(true);

        const descending = await scanAll(backend, { start: prefix, end: prefixEnd(prefix), reverse: true });
        expect(descending).toHaveLength(10_000);
        expect(descending[0]).toEqual([`${prefix}09999`, 'value-9999']);
        expect(descending.map(([key]) => key)).toEqual(ascending.map(([key]) => key).reverse());
      });
    });

    describe('key order', () => {
      test('keys sort by their UTF-8 bytes: prefixes first, "." before "/", non-ASCII after ASCII', async () => {
        const prefix = isolatedPrefix();
        // Hand-ordered by UTF-8 bytes. U+FFFF (EF BF BF) sorts before U+1F600 (F0 9F 98 80)
        // in UTF-8, though JavaScript's UTF-16 comparison puts the emoji first.
        const ordered = ['-', '0', 'A', 'a', 'a.b', 'a/b', 'aa', 'ab', 'z', '~', 'é', 'ü', '\uffff', '😀'];
        const shuffled = [...ordered].sort(() => Math.random() - 0.5);
        await backend.put(shuffled.map((suffix) => ({ key: `${prefix}${suffix}`, value: bytes(suffix) })));

        const keys = await scanKeys(backend, { start: prefix, end: prefixEnd(prefix) });
        expect(keys).toEqual(ordered.map((suffix) => `${prefix}${suffix}`));
        const reversed = await scanKeys(backend, { start: prefix, end: prefixEnd(prefix), reverse: true });
        expect(reversed).toEqual(ordered.map((suffix) => `${prefix}${suffix}`).reverse());
        expect(text(await backend.get(`${prefix}😀`))).toBe('😀');
      });

      test('a range bound with a non-ASCII character is compared by its UTF-8 bytes', async () => {
        const prefix = isolatedPrefix();
        await backend.put(
          ['z', 'é', '\uffff', '😀'].map((suffix) => ({ key: `${prefix}${suffix}`, value: bytes(suffix) })),
        );

        expect(await scanKeys(backend, { start: `${prefix}é`, end: `${prefix}😀` })).toEqual([
          `${prefix}é`,
          `${prefix}\uffff`,
        ]);
        expect(
          await scanKeys(backend, { start: `${prefix}\uffff`, end: prefixEnd(prefix), reverse: true }),
        ).toEqual([`${prefix}😀`, `${prefix}\uffff`]);
      });
    });

    describe('scan', () => {
      /** Puts k0..k9 under a fresh prefix; returns the key maker. */
      async function tenKeys(): Promise<(i: number) => string> {
        const prefix = isolatedPrefix();
        const key = (i: number) => `${prefix}k${i}`;
        await backend.put(Array.from({ length: 10 }, (_, i) => ({ key: key(i), value: bytes(`v${i}`) })));
        return key;
      }

      test('ascending: start included, end excluded, with values', async () => {
        const key = await tenKeys();
        expect(await scanAll(backend, { start: key(3), end: key(7) })).toEqual([
          [key(3), 'v3'],
          [key(4), 'v4'],
          [key(5), 'v5'],
          [key(6), 'v6'],
        ]);
      });

      test('descending: highest key below end first, down to start included', async () => {
        const key = await tenKeys();
        expect(await scanKeys(backend, { start: key(3), end: key(7), reverse: true })).toEqual([
          key(6),
          key(5),
          key(4),
          key(3),
        ]);
      });

      test('bounds between keys select the keys inside them', async () => {
        const key = await tenKeys();
        expect(await scanKeys(backend, { start: `${key(2)}!`, end: `${key(5)}!` })).toEqual([
          key(3),
          key(4),
          key(5),
        ]);
        expect(await scanKeys(backend, { start: `${key(2)}!`, end: `${key(5)}!`, reverse: true })).toEqual([
          key(5),
          key(4),
          key(3),
        ]);
      });

      test('limit keeps the first entries in scan order, ascending and descending', async () => {
        const key = await tenKeys();
        expect(await scanKeys(backend, { start: key(0), end: key(9), limit: 2 })).toEqual([key(0), key(1)]);
        expect(await scanKeys(backend, { start: key(0), end: key(9), limit: 2, reverse: true })).toEqual([
          key(8),
          key(7),
        ]);
        expect(await scanKeys(backend, { start: key(0), end: key(9), limit: 1, reverse: true })).toEqual([
          key(8),
        ]);
      });

      test('scanPages hands out what scan yields, in the same order, in non-empty pages', async () => {
        const key = await tenKeys();
        const ranges: KvRange[] = [
          { start: key(0), end: key(9) },
          { start: key(0), end: key(9), reverse: true },
          { start: key(2), end: `${key(7)}!`, limit: 3 },
          { start: key(2), end: `${key(7)}!`, limit: 3, reverse: true },
          { start: key(4), end: key(4) },
        ];
        for (const range of ranges) {
          const pages: Array<readonly KvEntry[]> = [];
          for await (const page of backend.scanPages(range)) pages.push(page);
          expect(pages.every((page) => page.length > 0)).toBe(true);
          const entries = pages
            .flat()
            .map((entry): [string, string | undefined] => [entry.key, text(entry.value)]);
          expect(entries).toEqual(await scanAll(backend, range));
        }
        const pages: Array<readonly KvEntry[]> = [];
        for await (const page of backend.scanPages({ start: key(2), end: key(5), reverse: true }))
          pages.push(page);
        expect(pages.flat().map((entry) => entry.key)).toEqual([key(4), key(3), key(2)]);
      });

      test('a limit of 0, or above the number of entries, returns them all', async () => {
        const key = await tenKeys();
        expect(await scanKeys(backend, { start: key(0), end: key(5), limit: 0 })).toHaveLength(5);
        expect(await scanKeys(backend, { start: key(0), end: key(5), limit: 50 })).toHaveLength(5);
        expect(
          await scanKeys(backend, { start: key(0), end: key(5), limit: 50, reverse: true }),
        ).toHaveLength(5);
      });

      test('an empty range returns nothing, in either direction', async () => {
        const key = await tenKeys();
        expect(await scanKeys(backend, { start: key(4), end: key(4) })).toEqual([]);
        expect(await scanKeys(backend, { start: key(4), end: key(4), reverse: true })).toEqual([]);
        expect(await scanKeys(backend, { start: `${key(4)}!`, end: key(5) })).toEqual([]);
        expect(await scanKeys(backend, { start: `${key(4)}!`, end: key(5), reverse: true })).toEqual([]);
      });

      test('a range over keys never put returns nothing', async () => {
        const prefix = isolatedPrefix();
        expect(await scanKeys(backend, { start: prefix, end: prefixEnd(prefix) })).toEqual([]);
        expect(
          await scanKeys(backend, { start: prefix, end: prefixEnd(prefix), reverse: true, limit: 3 }),
        ).toEqual([]);
      });
    });

    describe('deleteRange', () => {
      test('deletes start included, end excluded, and counts what it deleted', async () => {
        const prefix = isolatedPrefix();
        const key = (i: number) => `${prefix}k${i}`;
        await backend.put(Array.from({ length: 6 }, (_, i) => ({ key: key(i), value: bytes(`v${i}`) })));

        expect(await backend.deleteRange(key(1), key(4))).toBe(3);

        expect(await scanKeys(backend, { start: prefix, end: prefixEnd(prefix) })).toEqual([
          key(0),
          key(4),
          key(5),
        ]);
        expect(await backend.get(key(1))).toBeUndefined();
        expect(text(await backend.get(key(4)))).toBe('v4');
      });

      test('an empty range deletes nothing and returns 0', async () => {
        const prefix = isolatedPrefix();
        await backend.put([{ key: `${prefix}k`, value: bytes('v') }]);

        expect(await backend.deleteRange(`${prefix}k!`, prefixEnd(prefix))).toBe(0);
        expect(await backend.deleteRange(`${prefix}k`, `${prefix}k`)).toBe(0);
        expect(text(await backend.get(`${prefix}k`))).toBe('v');
      });

      test('a deleted key can be put again', async () => {
        const prefix = isolatedPrefix();
        await backend.put([{ key: `${prefix}k`, value: bytes('old') }]);
        expect(await backend.deleteRange(prefix, prefixEnd(prefix))).toBe(1);
        await backend.put([{ key: `${prefix}k`, value: bytes('new') }]);

        expect(text(await backend.get(`${prefix}k`))).toBe('new');
      });
    });

    describe('compareAndSet', () => {
      test('replaces or deletes only while the value is the one expected', async () => {
        const prefix = isolatedPrefix();
        await backend.put([
          { key: `${prefix}a`, value: bytes('v1') },
          { key: `${prefix}b`, value: bytes('v1') },
        ]);

        expect(await backend.compareAndSet(`${prefix}a`, bytes('v0'), bytes('v2'))).toBe(false);
        expect(text(await backend.get(`${prefix}a`))).toBe('v1');
        expect(await backend.compareAndSet(`${prefix}a`, bytes('v1'), bytes('v2'))).toBe(true);
        expect(text(await backend.get(`${prefix}a`))).toBe('v2');

        expect(await backend.compareAndSet(`${prefix}b`, bytes('v2'), undefined)).toBe(false);
        expect(text(await backend.get(`${prefix}b`))).toBe('v1');
        expect(await backend.compareAndSet(`${prefix}b`, bytes('v1'), undefined)).toBe(true);
        expect(await backend.get(`${prefix}b`)).toBeUndefined();
      });

      test('never creates a missing key, whatever was expected', async () => {
        const prefix = isolatedPrefix();

        expect(await backend.compareAndSet(`${prefix}none`, bytes(''), bytes('v'))).toBe(false);
        expect(await backend.compareAndSet(`${prefix}none`, bytes(''), undefined)).toBe(false);
        expect(await backend.get(`${prefix}none`)).toBeUndefined();
      });

      test('of two swaps from one value, exactly one succeeds', async () => {
        const prefix = isolatedPrefix();
        await backend.put([{ key: `${prefix}k`, value: bytes('v1') }]);

        const results = await Promise.all([
          backend.compareAndSet(`${prefix}k`, bytes('v1'), bytes('first')),
          backend.compareAndSet(`${prefix}k`, bytes('v1'), bytes('second')),
        ]);

        expect(results.filter(Boolean)).toHaveLength(1);
        expect(text(await backend.get(`${prefix}k`))).toBe(results[0] ? 'first' : 'second');
      });
    });

    describe('watch', () => {
      test('delivers puts made after it started, in commit order, only under its prefix', async () => {
        const prefix = isolatedPrefix();
        const watched = `${prefix}watched/`;
        await backend.put([{ key: `${watched}before`, value: bytes('before') }]);
        const stop = new AbortController();
        const changes = backend.watch(watched, stop.signal)[Symbol.asyncIterator]();
        try {
          // Keys of one put are in key order, so put order and key order agree.
          await backend.put([
            { key: `${watched}a`, value: bytes('1') },
            { key: `${prefix}other/x`, value: bytes('elsewhere') },
            { key: `${watched}b`, value: bytes('2') },
          ]);
          await backend.put([
            { key: `${prefix}watched`, value: bytes('sibling') },
            { key: `${prefix}watchedX`, value: bytes('sibling') },
          ]);
          await backend.put([{ key: `${watched}a`, value: bytes('3') }]);

          expect(await take(changes, 3)).toEqual([
            [`${watched}a`, '1'],
            [`${watched}b`, '2'],
            [`${watched}a`, '3'],
          ]);
        } finally {
          stop.abort();
        }
        expect((await changes.next()).done).toBe(true);
      });

      test('a waiting iterator ends without error when the signal aborts', async () => {
        const prefix = isolatedPrefix();
        const stop = new AbortController();
        const changes = backend.watch(prefix, stop.signal)[Symbol.asyncIterator]();
        const waiting = changes.next();
        stop.abort();

        expect((await waiting).done).toBe(true);
        await backend.put([{ key: `${prefix}after-abort`, value: bytes('x') }]);
        expect((await changes.next()).done).toBe(true);
      });

      test('a for-await loop over a watch ends when the signal aborts', async () => {
        const prefix = isolatedPrefix();
        const stop = new AbortController();
        const seen: string[] = [];
        let firstSeen!: () => void;
        const first = new Promise<void>((resolve) => (firstSeen = resolve));
        const loop = (async () => {
          for await (const entry of backend.watch(prefix, stop.signal)) {
            seen.push(entry.key);
            firstSeen();
          }
        })();

        await backend.put([{ key: `${prefix}one`, value: bytes('1') }]);
        await first;
        stop.abort();

        await expect(loop).resolves.toBeUndefined();
        expect(seen).toEqual([`${prefix}one`]);
      });

      test('a watch started with an aborted signal ends at once', async () => {
        const prefix = isolatedPrefix();
        const changes = backend.watch(prefix, AbortSignal.abort())[Symbol.asyncIterator]();

        expect((await changes.next()).done).toBe(true);
      });
    });

    describe('health', () => {
      test('an open backend on a running store is reachable', async () => {
        expect(await backend.health()).toEqual({ reachable: true });
      });
    });

    describe('close', () => {
      /**
       * Runs `body` on a fixture of its own; its backend is closed exactly once (by
       * `body` through `closeBackend`, or afterwards) before the fixture is cleaned up.
       */
      async function withOwnFixture(
        body: (fixture: KvBackendFixture, closeBackend: () => Promise<void>) => Promise<void>,
      ): Promise<void> {
        const fixture = await open();
        let closing: Promise<void> | undefined;
        const closeBackend = () => (closing ??= fixture.backend.close());
        try {
          await body(fixture, closeBackend);
        } finally {
          await closeBackend().catch(() => undefined);
          await fixture.cleanup();
        }
      }

      test('close resolves; then put and get fail as unavailable', async () => {
        await withOwnFixture(async ({ backend: own }, closeBackend) => {
          const prefix = isolatedPrefix();
          await own.put([{ key: `${prefix}k`, value: bytes('v') }]);
          await expect(closeBackend()).resolves.toBeUndefined();

          await expect(own.put([{ key: `${prefix}k2`, value: bytes('v') }])).rejects.toBeInstanceOf(
            StoreUnavailableError,
          );
          await expect(own.get(`${prefix}k`)).rejects.toBeInstanceOf(StoreUnavailableError);
        });
      });

      test('records survive close and reopen, including a put still in flight at close', async (context) => {
        await withOwnFixture(async ({ backend: own, reopen }, closeBackend) => {
          if (reopen === undefined) {
            context.skip('this fixture cannot reopen its store');
            return;
          }
          const prefix = isolatedPrefix();
          await own.put([
            { key: `${prefix}a`, value: bytes('1') },
            { key: `${prefix}b`, value: bytes('2') },
          ]);
          const inFlight = own.put([{ key: `${prefix}c`, value: bytes('3') }]);
          await closeBackend();
          await expect(inFlight).resolves.toBeUndefined();

          const reopened = await reopen();
          try {
            expect(await scanAll(reopened, { start: prefix, end: prefixEnd(prefix) })).toEqual([
              [`${prefix}a`, '1'],
              [`${prefix}b`, '2'],
              [`${prefix}c`, '3'],
            ]);
          } finally {
            await reopened.close();
          }
        });
      });
    });
  });
}

/** A key prefix no other test (or test run) uses. */
function isolatedPrefix(): string {
  return `/kv-conformance/${randomUUID()}/`;
}

/** The first key after every key starting with `prefix` (prefixes here end in '/'). */
function prefixEnd(prefix: string): string {
  return `${prefix.slice(0, -1)}0`;
}

function bytes(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

function text(value: Uint8Array | undefined): string | undefined {
  return value === undefined ? undefined : new TextDecoder().decode(value);
}

async function scanAll(backend: KvBackend, range: KvRange): Promise<Array<[string, string | undefined]>> {
  const entries: Array<[string, string | undefined]> = [];
  for await (const entry of backend.scan(range)) entries.push([entry.key, text(entry.value)]);
  return entries;
}

async function scanKeys(backend: KvBackend, range: KvRange): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of backend.scan(range)) keys.push(entry.key);
  return keys;
}

/** The next `count` entries of a watch, as [key, text value]. */
async function take(
  changes: AsyncIterator<KvEntry>,
  count: number,
): Promise<Array<[string, string | undefined]>> {
  const entries: Array<[string, string | undefined]> = [];
  while (entries.length < count) {
    const next = await changes.next();
    if (next.done) throw new Error(`the watch ended after ${entries.length} of ${count} expected entries`);
    entries.push([next.value.key, text(next.value.value)]);
  }
  return entries;
}
