import { StoreInvalidArgumentError, StoreUnavailableError } from '@message-bus/repository';
import type { KvEntry, KvRecord } from '@message-bus/store-kv';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { LmdbBackend } from './lmdb-backend';
import type { LmdbBackendOptions } from './lmdb-backend-options';

const directories: string[] = [];
const backends: LmdbBackend[] = [];

afterEach(async () => {
  await Promise.all(backends.splice(0).map((backend) => backend.close()));
  await Promise.all(directories.splice(0).map((path) => rm(path, { recursive: true, force: true })));
});

async function temporaryDirectory(name = 'lmdb-backend-'): Promise<string> {
  const path = await mkdtemp(join(tmpdir(), name));
  directories.push(path);
  return path;
}

function openBackend(options: LmdbBackendOptions): LmdbBackend {
  const backend = new LmdbBackend(options);
  backends.push(backend);
  return backend;
}

function bytes(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

function text(value: Uint8Array | undefined): string | undefined {
  return value === undefined ? undefined : new TextDecoder().decode(value);
}

async function keysIn(backend: LmdbBackend, start: string, end: string, reverse = false): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of backend.scan({ start, end, reverse })) keys.push(entry.key);
  return keys;
}

/** Keys starting with `prefix`, which ends in '/'. */
function keysUnder(backend: LmdbBackend, prefix: string): Promise<string[]> {
  return keysIn(backend, prefix, `${prefix.slice(0, -1)}0`);
}

/** A settable clock for the sweep, in unix milliseconds. */
function manualClock(startMs: number): { now: () => number; set: (ms: number) => void } {
  let current = startMs;
  return { now: () => current, set: (ms) => (current = ms) };
}

describe('key order', () => {
  test('keys sort by UTF-8 bytes, including control characters, U+0000 and astral characters', async () => {
    const backend = openBackend({ path: await temporaryDirectory() });
    // lmdb-js's default key encoding would put a type byte before keys starting below
    // U+001C and escape U+0000..U+0004; stored as plain UTF-8 these must sort as bytes.
    const suffixes = [
      '\u0000',
      '\u0001',
      '\u0004z',
      '\u0005',
      '\u001b',
      '\u001c',
      ' ',
      'a',
      'a\u0000',
      'a\u0001',
      'a.b',
      'a/b',
      'aa',
      'é',
      '\u07ff',
      '\u0800',
      '\uffff',
      '😀',
      '\u{10ffff}',
      'x'.repeat(100) + '\u0002',
      'x'.repeat(100) + '\u0001',
    ];
    const keys = suffixes.map((suffix) => `k${suffix}`);
    const byUtf8 = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    const shuffled = [...keys].sort(() => Math.random() - 0.5);
    await backend.put(shuffled.map((key) => ({ key, value: bytes(key) })));

    expect(await keysIn(backend, 'k', 'l')).toEqual(byUtf8);
    expect(await keysIn(backend, 'k', 'l', true)).toEqual([...byUtf8].reverse());
    for (const key of keys) expect(text(await backend.get(key))).toBe(key);
  });

  test('a bound containing U+0000 is the smallest key after the one before it', async () => {
    const backend = openBackend({ path: await temporaryDirectory() });
    await backend.put(['a', 'a\u0000', 'a\u0001', 'b'].map((key) => ({ key, value: bytes(key) })));

    expect(await keysIn(backend, 'a\u0000', 'b')).toEqual(['a\u0000', 'a\u0001']);
  });
});

describe('scan', () => {
  test('a limit spanning several read pages returns exactly that many, in order', async () => {
    const backend = openBackend({ path: await temporaryDirectory() });
    const key = (i: number) => `/p/${String(i).padStart(5, '0')}`;
    await backend.put(Array.from({ length: 3000 }, (_, i) => ({ key: key(i), value: bytes(String(i)) })));

    const descending: string[] = [];
    for await (const entry of backend.scan({ start: '/p/', end: '/p0', reverse: true, limit: 2500 })) {
      descending.push(entry.key);
    }
    expect(descending).toHaveLength(2500);
    expect(descending[0]).toBe(key(2999));
    expect(descending[2499]).toBe(key(500));
    expect(descending.every((k, i) => k === key(2999 - i))).toBe(true);
  });

  test('an empty end bound selects nothing', async () => {
    const backend = openBackend({ path: await temporaryDirectory() });
    await backend.put([{ key: 'a', value: bytes('1') }]);

    expect(await keysIn(backend, '', '')).toEqual([]);
    expect(await keysIn(backend, '', '', true)).toEqual([]);
    expect(await backend.deleteRange('', '')).toBe(0);
    expect(await keysIn(backend, '', 'b')).toEqual(['a']);
  });
});

describe('bad input', () => {
  test('a record that cannot be stored rejects the whole call, naming the field, and writes nothing', async () => {
    const backend = openBackend({ path: await temporaryDirectory() });
    const good = { key: '/d/1/a', value: bytes('kept out') };
    const cases: Array<[KvRecord, RegExp]> = [
      [{ key: '', value: bytes('x') }, /records\[1\]\.key must be a non-empty string/],
      [
        { key: 'x'.repeat(1979), value: bytes('x') },
        /records\[1\]\.key is 1979 UTF-8 bytes long; .* at most 1978/,
      ],
      [{ key: '/d/1/b', value: 'text' as unknown as Uint8Array }, /records\[1\]\.value must be a Uint8Array/],
      [
        { key: '/d/1/b', value: bytes('x'), expiry: { atUnixSeconds: 10, prefix: '/d/2/' } },
        /records\[1\]\.expiry\.prefix "\/d\/2\/" must be a prefix of the record's key "\/d\/1\/b"/,
      ],
      [
        { key: '/d/1/b', value: bytes('x'), expiry: { atUnixSeconds: 1.5, prefix: '/d/1/' } },
        /records\[1\]\.expiry\.atUnixSeconds must be a non-negative integer, got 1.5/,
      ],
      [
        { key: '/d/1/b', value: bytes('x'), expiry: { atUnixSeconds: 10, prefix: '' } },
        /records\[1\]\.expiry\.prefix must be a non-empty string/,
      ],
    ];
    for (const [bad, message] of cases) {
      const attempt = backend.put([good, bad]);
      await expect(attempt).rejects.toBeInstanceOf(StoreInvalidArgumentError);
      await expect(attempt).rejects.toThrow(message);
    }
    expect(await backend.get(good.key)).toBeUndefined();
  });

  test('get, scan and deleteRange reject keys lmdb cannot hold', async () => {
    const backend = openBackend({ path: await temporaryDirectory() });
    const tooLong = 'é'.repeat(1000); // 2000 UTF-8 bytes

    await expect(backend.get('')).rejects.toThrow(/key must be a non-empty string/);
    await expect(backend.get(tooLong)).rejects.toThrow(/key is 2000 UTF-8 bytes long/);
    await expect(keysIn(backend, tooLong, 'z')).rejects.toThrow(/range start is 2000 UTF-8 bytes long/);
    await expect(backend.deleteRange('a', tooLong)).rejects.toBeInstanceOf(StoreInvalidArgumentError);
    await expect(
      (async () => {
        for await (const _ of backend.scan({ start: 'a', end: 'b', limit: -1 })) break;
      })(),
    ).rejects.toThrow(/range\.limit must be a non-negative integer, got -1/);
  });

  test('options that cannot work are rejected, naming the option', async () => {
    const path = await temporaryDirectory();
    expect(() => new LmdbBackend({ path: '' })).toThrow(
      /LmdbBackendOptions\.path must be a non-empty directory path/,
    );
    expect(() => new LmdbBackend({ path, sweepIntervalMs: 0 })).toThrow(
      /LmdbBackendOptions\.sweepIntervalMs must be an integer from 1 to 2147483647, got 0/,
    );
    expect(() => new LmdbBackend({ path, watchBufferLimit: 0 })).toThrow(
      /LmdbBackendOptions\.watchBufferLimit must be a positive integer, got 0/,
    );
  });

  test('a path lmdb cannot open as a directory is unavailable, naming the path', async () => {
    const file = join(await temporaryDirectory(), 'not-a-directory');
    await writeFile(file, 'plain file');

    let failure: unknown;
    try {
      openBackend({ path: file });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).message).toContain(`cannot open lmdb store at ${file}`);
  });
});

describe('expiry sweep', () => {
  const bucket = 1_563_568_100;

  function eventsUnder(prefix: string, atUnixSeconds: number, count: number): KvRecord[] {
    return Array.from({ length: count }, (_, i) => ({
      key: `${prefix}${String(i).padStart(4, '0')}`,
      value: bytes(`event ${i}`),
      expiry: { atUnixSeconds, prefix },
    }));
  }

  test('deletes the whole prefix of each group whose time has passed, and nothing else', async () => {
    const clock = manualClock(bucket * 1000);
    const backend = openBackend({ path: await temporaryDirectory(), now: clock.now });
    const early = '/mb/detectors/d1/1563568100/';
    const late = '/mb/detectors/d1/1563568200/';
    await backend.put([...eventsUnder(early, bucket + 100, 300), ...eventsUnder(late, bucket + 200, 5)]);
    // Same first characters as `early`, but outside its prefix; and a record with no expiry.
    await backend.put([
      { key: '/mb/detectors/d1/15635681000', value: bytes('sibling') },
      { key: '/mb/links/d1/d2', value: bytes('kept') },
    ]);

    clock.set((bucket + 100) * 1000);
    expect(await backend.sweepExpired()).toBe(0); // at its time, not yet after it
    clock.set((bucket + 100) * 1000 + 1);
    expect(await backend.sweepExpired()).toBe(300);

    expect(await keysUnder(backend, early)).toEqual([]);
    expect(await keysUnder(backend, late)).toHaveLength(5);
    expect(text(await backend.get('/mb/detectors/d1/15635681000'))).toBe('sibling');
    expect(text(await backend.get('/mb/links/d1/d2'))).toBe('kept');
    expect(await backend.sweepExpired()).toBe(0);

    clock.set((bucket + 10_000) * 1000);
    expect(await backend.sweepExpired()).toBe(5);
    expect(await keysIn(backend, '/mb/detectors/', '/mb/detectors0')).toEqual([
      '/mb/detectors/d1/15635681000',
    ]);
  });

  test('a group written again after it was swept is recorded again and swept again', async () => {
    const clock = manualClock(bucket * 1000);
    const backend = openBackend({ path: await temporaryDirectory(), now: clock.now });
    const prefix = '/mb/detectors/d1/1563568100/';
    await backend.put(eventsUnder(prefix, bucket + 100, 3));
    clock.set((bucket + 101) * 1000);
    expect(await backend.sweepExpired()).toBe(3);

    // A late arrival for the already swept bucket.
    await backend.put(eventsUnder(prefix, bucket + 100, 2));
    expect(await keysUnder(backend, prefix)).toHaveLength(2);
    expect(await backend.sweepExpired()).toBe(2);
  });

  test('more expired groups than one sweep transaction holds are all swept', async () => {
    const clock = manualClock(bucket * 1000);
    const backend = openBackend({ path: await temporaryDirectory(), now: clock.now });
    const records: KvRecord[] = [];
    for (let detector = 0; detector < 600; detector += 1) {
      records.push(...eventsUnder(`/mb/detectors/d${detector}/1563568100/`, bucket + 100, 2));
    }
    await backend.put(records);
    clock.set((bucket + 101) * 1000);

    expect(await backend.sweepExpired()).toBe(1200);
    expect(await keysIn(backend, '/mb/', '/mb0')).toEqual([]);
  });

  test('expiry groups are durable: a reopened store sweeps what the first one wrote', async () => {
    const path = await temporaryDirectory();
    const prefix = '/mb/detectors/d1/1563568100/';
    const first = new LmdbBackend({ path });
    await first.put(eventsUnder(prefix, bucket + 100, 4));
    await first.close();

    const clock = manualClock((bucket + 101) * 1000);
    const reopened = openBackend({ path, now: clock.now });
    expect(await keysUnder(reopened, prefix)).toHaveLength(4);
    expect(await reopened.sweepExpired()).toBe(4);
  });

  test('the timer sweeps on its own', async () => {
    const clock = manualClock((bucket + 101) * 1000);
    const backend = openBackend({ path: await temporaryDirectory(), now: clock.now, sweepIntervalMs: 5 });
    const prefix = '/mb/detectors/d1/1563568100/';
    await backend.put(eventsUnder(prefix, bucket + 100, 3));

    await vi.waitFor(async () => expect(await backend.get(`${prefix}0000`)).toBeUndefined(), {
      timeout: 10_000,
    });
    expect(await keysUnder(backend, prefix)).toEqual([]);
  });
});

describe('durability', () => {
  test('data written before close is there after reopening, also in a directory named with a dot', async () => {
    const path = join(await temporaryDirectory(), 'store.v1');
    const first = new LmdbBackend({ path });
    await first.put([
      { key: '/mb/links/d2/d1', value: bytes('{"max_seconds":"600"}') },
      { key: '/mb/links/d3/d1', value: bytes('{"max_seconds":"300"}') },
    ]);
    await first.close();
    expect(existsSync(join(path, 'data.mdb'))).toBe(true);

    const reopened = openBackend({ path });
    expect(text(await reopened.get('/mb/links/d2/d1'))).toBe('{"max_seconds":"600"}');
    expect(await keysIn(reopened, '/mb/links/', '/mb/links0')).toEqual([
      '/mb/links/d2/d1',
      '/mb/links/d3/d1',
    ]);
  });
});

describe('watch', () => {
  async function read(changes: AsyncIterator<KvEntry>, count: number): Promise<string[]> {
    const keys: string[] = [];
    while (keys.length < count) {
      const next = await changes.next();
      if (next.done) break;
      keys.push(next.value.key);
    }
    return keys;
  }

  test('a consumer further behind than the buffer gets what was held, then an unavailable error; writers never wait', async () => {
    const backend = openBackend({ path: await temporaryDirectory(), watchBufferLimit: 5 });
    const stop = new AbortController();
    const slow = backend.watch('/w/', stop.signal)[Symbol.asyncIterator]();
    const elsewhere = backend.watch('/v/', stop.signal)[Symbol.asyncIterator]();
    const key = (i: number) => `/w/${i}`;

    // Nobody reads while 8 records are put: the puts still complete.
    await backend.put(Array.from({ length: 4 }, (_, i) => ({ key: key(i), value: bytes('x') })));
    await backend.put([
      ...Array.from({ length: 4 }, (_, i) => ({ key: key(i + 4), value: bytes('x') })),
      { key: '/v/1', value: bytes('y') },
    ]);

    expect(await read(slow, 5)).toEqual([0, 1, 2, 3, 4].map(key));
    await expect(slow.next()).rejects.toThrow(/watch on "\/w\/" fell more than 5 records behind/);
    expect((await slow.next()).done).toBe(true);

    // A watch's buffer holds only records under its own prefix.
    expect(await read(elsewhere, 1)).toEqual(['/v/1']);
    stop.abort();
  });

  test('a consumer that keeps up within the buffer sees every record, however slowly it reads', async () => {
    const backend = openBackend({ path: await temporaryDirectory(), watchBufferLimit: 3 });
    const stop = new AbortController();
    const changes = backend.watch('/w/', stop.signal)[Symbol.asyncIterator]();
    const seen: string[] = [];
    for (let round = 0; round < 4; round += 1) {
      await backend.put([0, 1, 2].map((i) => ({ key: `/w/${round}/${i}`, value: bytes('x') })));
      seen.push(...(await read(changes, 3)));
    }
    stop.abort();

    expect(seen).toHaveLength(12);
    expect(seen[0]).toBe('/w/0/0');
    expect(seen[11]).toBe('/w/3/2');
    expect((await changes.next()).done).toBe(true);
  });

  test('concurrent puts are delivered in the order they were committed', async () => {
    const backend = openBackend({ path: await temporaryDirectory() });
    const stop = new AbortController();
    const changes = backend.watch('/w/', stop.signal)[Symbol.asyncIterator]();
    const keys = Array.from({ length: 20 }, (_, i) => `/w/${String(19 - i).padStart(2, '0')}`);

    await Promise.all(keys.map((key) => backend.put([{ key, value: bytes(key) }])));

    expect(await read(changes, 20)).toEqual(keys);
    stop.abort();
  });

  test('close ends every watch', async () => {
    const backend = openBackend({ path: await temporaryDirectory() });
    const changes = backend.watch('/w/', new AbortController().signal)[Symbol.asyncIterator]();
    const waiting = changes.next();
    await backend.close();

    expect((await waiting).done).toBe(true);
  });
});

describe('health and close', () => {
  test('reachable while open; after close, "closed" and every call unavailable', async () => {
    const backend = openBackend({ path: await temporaryDirectory() });
    expect(await backend.health()).toEqual({ reachable: true });
    await backend.close();

    expect(await backend.health()).toEqual({ reachable: false, reason: 'closed' });
    await expect(backend.put([{ key: 'k', value: bytes('v') }])).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    await expect(backend.get('k')).rejects.toThrow(/lmdb store at .* is closed/);
    await expect(backend.deleteRange('a', 'b')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(backend.sweepExpired()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(keysIn(backend, 'a', 'b')).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(() => backend.watch('/w/', new AbortController().signal)).toThrow(StoreUnavailableError);
    await expect(backend.close()).resolves.toBeUndefined();
  });
});
