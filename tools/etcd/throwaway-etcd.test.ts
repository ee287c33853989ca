import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { etcdEndpoints } from './etcd-endpoints';
import { startThrowawayEtcd } from './throwaway-etcd';

describe('throwaway etcd', () => {
  it('serves puts and gets through etcd3 at the endpoints the global setup provides', async () => {
    const client = new Etcd3({ hosts: etcdEndpoints() });
    try {
      const key = `/throwaway-etcd-smoke/${randomUUID()}`;
      await client.put(key).value('hello');
      expect(await client.get(key).string()).toBe('hello');
    } finally {
      client.close();
    }
  });

  it('restarts on the same port and data dir, and remove() deletes the dir', async () => {
    const etcd = await startThrowawayEtcd();
    try {
      const client = new Etcd3({ hosts: etcd.endpoint });
      try {
        await client.put('/survives-restart').value('kept');
        await etcd.stop();
        expect(etcd.running).toBe(false);
        await etcd.start();
        expect(etcd.running).toBe(true);
        expect(await client.get('/survives-restart').string()).toBe('kept');
      } finally {
        client.close();
      }
    } finally {
      await etcd.remove();
    }
    expect(etcd.running).toBe(false);
    expect(existsSync(etcd.dataDir)).toBe(false);
  });
});
