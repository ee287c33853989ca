import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import { open } from 'lmdb';
import type { DetectorId } from '@message-bus/domain';
import { KvRepository } from '@message-bus/store-kv';
import { LmdbBackend } from './lmdb-backend';

const q = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return `min ${s[0]!.toFixed(1)} med ${s[Math.floor(s.length / 2)]!.toFixed(1)}`; };
it('perf', async () => {
  const base = BigInt(Math.floor(Date.now() / 1000)) * 1_000_000_000n;
  const dir1 = mkdtempSync(join(tmpdir(), 'p1-')); const dir2 = mkdtempSync(join(tmpdir(), 'p2-'));
  const raw = open({ path: dir1 }); const db = raw.openDB<Uint8Array, string>({ name: 'r', encoding: 'binary' });
  const repo = new KvRepository(new LmdbBackend({ path: dir2 }), { prefix: 'tdc' });
  const T: Record<string, number[]> = { rawAppend: [], repoAppend: [], rawList: [], repoList: [] };
  for (let round = 0; round < 14; round++) {
    const det = `det-${round}` as DetectorId;
    const batch = Array.from({ length: 10_000 }, (_, i) => ({ detectorId: det, deviceId: `P${String(i).padStart(8, '0')}`.padEnd(22, 'q'), time: base - 3600_000_000_000n + BigInt(i) * 360_000_000n }));
    const value = new Uint8Array(44).fill(65);
    let t = process.hrtime.bigint();
    await db.transaction(() => { for (let i = 0; i < batch.length; i++) db.put(`/tdc/detectors/${det}/x/${i}.${batch[i]!.deviceId}`, value); });
    T.rawAppend!.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    await repo.events.append(batch);
    T.repoAppend!.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    let m = 0;
    for (const _ of db.getRange({ start: `/tdc/detectors/${det}/`, end: `/tdc/detectors/${det}0` })) m++;
    T.rawList!.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    let n = 0;
    for await (const _ of repo.events.list({ detectorIds: [det], order: 'oldest_first' })) n++;
    T.repoList!.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (n !== 10000 || m !== 10000) throw new Error(`counts ${n} ${m}`);
  }
  for (const [k, v] of Object.entries(T)) console.log(k, q(v.slice(2)));
  await repo.close(); await raw.close(); rmSync(dir1, { recursive: true }); rmSync(dir2, { recursive: true });
}, 300_000);
