import { describe, expect, it } from 'vitest';
import { Cleanup } from './cleanup';

describe('Cleanup', () => {
  it('undoes every step last first, even after one fails, and names each failure', async () => {
    const cleanup = new Cleanup();
    const undone: string[] = [];
    const resource = cleanup.add('close the client', { name: 'client' }, (client) => {
      undone.push(client.name);
    });
    cleanup.defer('remove etcd', () => {
      undone.push('etcd');
      throw new Error('already gone');
    });
    cleanup.defer('remove the work dir', async () => {
      undone.push('dir');
    });

    expect(resource).toEqual({ name: 'client' });
    await expect(cleanup.run()).rejects.toThrow('cleanup failed: remove etcd: already gone');
    expect(undone).toEqual(['dir', 'etcd', 'client']);
    // Each step runs once: a second run has nothing left to undo.
    await cleanup.run();
    expect(undone).toHaveLength(3);
  });
});
