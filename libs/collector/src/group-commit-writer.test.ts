import type { DetectorId, Sighting } from '@message-bus/domain';
import { StoreInvalidArgumentError, StoreUnavailableError } from '@message-bus/repository';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW, SECOND } from '../test/collector-harness';
import { InstrumentedRepository } from '../test/instrumented-repository';
import { openTestStore, type TestStore } from '../test/test-stores';
import { GroupCommitWriter } from './group-commit-writer';

let store: TestStore;
beforeAll(async () => {
  store = await openTestStore('embedded');
});
afterAll(async () => {
  await store?.close();
});

let serial = 0;
function sightingAt(detectorId: string): Sighting {
  serial += 1;
  return {
    detectorId: detectorId as DetectorId,
    deviceId: `pseudonym${String(serial).padStart(13, '0')}`,
    time: NOW - SECOND,
  };
}

async function countStored(detectorId: string): Promise<number> {
  let count = 0;
  for await (const _ of store.repository.events.list({ detectorIds: [detectorId as DetectorId] })) count += 1;
  return count;
}

function writerOver(instrumented: InstrumentedRepository, maxSightingsPerAppend: number): GroupCommitWriter {
  return new GroupCommitWriter({
    append: (sightings) => instrumented.events.append(sightings),
    maxSightingsPerAppend,
    maxAppendsInFlight: 1,
  });
}

describe('GroupCommitWriter', () => {
  it("groups waiting requests up to the batch size and fails only the failed batch's callers", async () => {
    const instrumented = new InstrumentedRepository(store.repository);
    const writer = writerOver(instrumented, 3);
    instrumented.hold();
    const first = writer.write([sightingAt('gcw-a')]);
    // The store refuses the whole append holding this sighting: its detector id cannot be a key.
    const unstorable = { ...sightingAt('gcw-a'), detectorId: 'no/slash' as DetectorId };
    const second = writer.write([sightingAt('gcw-b'), sightingAt('gcw-b')]);
    const third = writer.write([unstorable]);
    const fourth = writer.write([sightingAt('gcw-c')]);
    expect(writer.pending).toEqual({ requests: 4, sightings: 5 });
    instrumented.release();

    await expect(first).resolves.toBeUndefined();
    const refusal = await second.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(StoreInvalidArgumentError);
    await expect(third).rejects.toBe(refusal);
    await expect(fourth).resolves.toBeUndefined();
    expect(instrumented.appendSizes).toEqual([1, 3, 1]);
    expect([await countStored('gcw-a'), await countStored('gcw-b'), await countStored('gcw-c')]).toEqual([
      1, 0, 1,
    ]);
    expect(writer.pending).toEqual({ requests: 0, sightings: 0 });
  });

  it('appends a request larger than the batch size alone, never split', async () => {
    const instrumented = new InstrumentedRepository(store.repository);
    const writer = writerOver(instrumented, 2);
    instrumented.hold();
    const writes = [
      writer.write([sightingAt('gcw-d')]),
      writer.write(Array.from({ length: 5 }, () => sightingAt('gcw-d'))),
      writer.write([sightingAt('gcw-d')]),
    ];
    instrumented.release();
    await Promise.all(writes);
    expect(instrumented.appendSizes).toEqual([1, 5, 1]);
    expect(await countStored('gcw-d')).toBe(7);
  });

  it('on close, commits what it accepted and refuses new writes', async () => {
    const instrumented = new InstrumentedRepository(store.repository);
    const writer = writerOver(instrumented, 100);
    instrumented.hold();
    const accepted = [writer.write([sightingAt('gcw-e')]), writer.write([sightingAt('gcw-e')])];
    const closed = writer.close();
    await expect(writer.write([sightingAt('gcw-e')])).rejects.toBeInstanceOf(StoreUnavailableError);
    instrumented.release();
    await closed;
    expect(writer.pending).toEqual({ requests: 0, sightings: 0 });
    await Promise.all(accepted);
    expect(await countStored('gcw-e')).toBe(2);
  });

  it('refuses batch limits that cannot work', () => {
    const append = () => Promise.resolve();
    expect(() => new GroupCommitWriter({ append, maxSightingsPerAppend: 0, maxAppendsInFlight: 1 })).toThrow(
      'GroupCommitWriterOptions.maxSightingsPerAppend must be a positive integer, got 0',
    );
    expect(
      () => new GroupCommitWriter({ append, maxSightingsPerAppend: 1, maxAppendsInFlight: 1.5 }),
    ).toThrow('GroupCommitWriterOptions.maxAppendsInFlight must be a positive integer, got 1.5');
  });
});
