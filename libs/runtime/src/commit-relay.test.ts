import type { KvEntry } from '@message-bus/store-kv';
import { describe, expect, it } from 'vitest';
import { CommitRelay, RelayHub } from './commit-relay';

const bytes = (text: string) => new TextEncoder().encode(text);
const entry = (key: string): KvEntry => ({ key, value: bytes(key) });

/** A hub for a primary (0) and workers 1 and 2, with each process's relay wired to it. */
function server() {
  const relays = new Map<number, CommitRelay>();
  const delivered = new Map<number, string[]>([
    [0, []],
    [1, []],
    [2, []],
  ]);
  const hub: RelayHub = new RelayHub(
    (to, records) => relays.get(to)!.receive(records),
    (to, prefixes) => relays.get(to)!.watchedElsewhere(prefixes),
    () => [0, 1, 2],
  );
  for (const process of [0, 1, 2]) {
    const relay = new CommitRelay({
      committed: (records) => hub.committed(process, records),
      watch: (prefix, watching) => hub.watch(process, prefix, watching),
    });
    relay.deliverTo((records) => delivered.get(process)!.push(...records.map(({ key }) => key)));
    relays.set(process, relay);
  }
  return { relays, delivered, hub };
}

describe('the commit relay between the processes of a server', () => {
  it('sends nothing while no other process watches', () => {
    const { relays, delivered } = server();
    relays.get(1)!.committed([entry('/p/detectors/a/1')]);
    expect([...delivered.values()].flat()).toEqual([]);
  });

  it("carries a process's commits under a prefix another one watches to that one only, in commit order", () => {
    const { relays, delivered } = server();
    const stop = new AbortController();
    relays.get(2)!.watching('/p/detectors/a/', stop.signal);
    relays.get(1)!.committed([entry('/p/detectors/a/1'), entry('/p/detectors/b/1'), entry('/p/detectors/a/2')]);
    relays.get(0)!.committed([entry('/p/detectors/a/3')]);
    expect(delivered.get(2)).toEqual(['/p/detectors/a/1', '/p/detectors/a/2', '/p/detectors/a/3']);
    expect(delivered.get(0)).toEqual([]);
    expect(delivered.get(1)).toEqual([]);
  });

  it('stops when the last local watch of the prefix ends, and when the watching worker is gone', () => {
    const { relays, delivered, hub } = server();
    const first = new AbortController();
    const second = new AbortController();
    relays.get(2)!.watching('/p/a/', first.signal);
    relays.get(2)!.watching('/p/a/', second.signal);
    first.abort();
    relays.get(1)!.committed([entry('/p/a/1')]);
    second.abort();
    relays.get(1)!.committed([entry('/p/a/2')]);
    expect(delivered.get(2)).toEqual(['/p/a/1']);

    relays.get(0)!.watching('/p/b/', new AbortController().signal);
    relays.get(2)!.watching('/p/b/', new AbortController().signal);
    hub.forget(2);
    relays.get(1)!.committed([entry('/p/b/1')]);
    expect(delivered.get(0)).toEqual(['/p/b/1']);
    expect(delivered.get(2)).toEqual(['/p/a/1']);
  });
});
