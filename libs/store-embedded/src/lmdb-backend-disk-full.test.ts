import { StoreQuotaExhaustedError } from '@message-bus/repository';
import type { KvRecord } from '@message-bus/store-kv';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { LmdbBackend } from './lmdb-backend';

const run = promisify(execFile);
const MiB = 1024 * 1024;
/** Mounting a filesystem takes root; CI runs as root. */
const isRoot = process.getuid?.() === 0;

/** What each test mounted, opened and listened to, undone last first after it. */
const undo: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (let step = undo.pop(); step !== undefined; step = undo.pop()) await step();
});

/** A fresh tmpfs of `bytes`, unmounted and removed after the test; skips the test when mounting is refused. */
async function smallFilesystem(bytes: number, skip: (reason: string) => never): Promise<string> {
  const mountPoint = await mkdtemp(join(tmpdir(), 'lmdb-disk-full-'));
  undo.push(() => rm(mountPoint, { recursive: true, force: true }));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', mountPoint]);
  } catch (error) {
    skip(`cannot mount a tmpfs here: ${String(error)}`);
  }
  undo.push(() => run('umount', ['--lazy', mountPoint]));
  return mountPoint;
}

function openBackend(path: string): LmdbBackend {
  const backend = new LmdbBackend({ path });
  undo.push(() => backend.close());
  return backend;
}

/** Every rejection nobody handled while the test ran. */
function unhandledRejections(): unknown[] {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  undo.push(() => void process.off('unhandledRejection', listener));
  return seen;
}

/** 100 records of 1 KiB under `batch/<n>/`. */
function batch(n: number): KvRecord[] {
  const value = new Uint8Array(1024).fill(n % 256);
  return Array.from({ length: 100 }, (_, index) => ({ key: `batch/${n}/${index}`, value }));
}

describe('a full disk under the lmdb store', () => {
  test.skipIf(!isRoot)(
    'puts fail as out of space naming the store, reads and health go on, writes resume once the disk grows, nothing unhandled',
    async (context) => {
      const unhandled = unhandledRejections();
      const mountPoint = await smallFilesystem(2 * MiB, (reason) => context.skip(reason));
      const path = join(mountPoint, 'store');
      const backend = openBackend(path);

      const acked: number[] = [];
      let failure: unknown;
      for (let n = 0; failure === undefined; n++) {
        failure = await backend.put(batch(n)).then(
          () => void acked.push(n),
          (error: unknown) => error,
        );
      }
      expect(acked.length).toBeGreaterThan(0);
      expect(failure).toBeInstanceOf(StoreQuotaExhaustedError);
      // A write that finds no space fails with ENOSPC; one that finds a little, short, with EIO.
      expect((failure as Error).message).toMatch(
        new RegExp(
          `^lmdb store at ${path} is out of space: (No space left on device|Input/output error with \\d+ bytes free)`,
        ),
      );
      // Puts in flight together (lmdb commits them as one) are each refused the same way.
      const together = await Promise.allSettled(
        [1, 2, 3].map((more) => backend.put(batch(acked.length + more))),
      );
      expect(together.map((outcome) => outcome.status === 'rejected' && outcome.reason)).toEqual([
        expect.any(StoreQuotaExhaustedError),
        expect.any(StoreQuotaExhaustedError),
        expect.any(StoreQuotaExhaustedError),
      ]);

      // Reads and health still answer; health says writes are refused, and why.
      const health = await backend.health();
      expect(health).toEqual({
        reachable: true,
        writesRefused: expect.stringContaining(`lmdb store at ${path} is out of space`),
      });
      expect(await backend.get('batch/0/0')).toEqual(Buffer.from(batch(0)[0]!.value));
      const keys = new Set<string>();
      for await (const { key } of backend.scan({ start: 'batch/', end: 'batch0' })) keys.add(key);
      const ackedKeys = acked.flatMap((n) => batch(n).map((record) => record.key));
      expect(ackedKeys.filter((key) => !keys.has(key))).toEqual([]);

      // The operator grows the disk; the same backend writes again without reopening.
      await run('mount', ['-o', `remount,size=${8 * MiB}`, mountPoint]);
      const next = acked.length;
      await backend.put(batch(next));
      expect(await backend.health()).toEqual({ reachable: true });
      expect(await backend.get(`batch/${next}/99`)).toEqual(Buffer.from(batch(next)[99]!.value));
      expect(await backend.get(`batch/${acked.at(-1)}/99`)).toBeDefined();
      expect(unhandled).toEqual([]);
    },
    30_000,
  );
});
