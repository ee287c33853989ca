import { Metadata } from '@grpc/grpc-js';
import { query } from '@message-bus/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_TIME,
  detector,
  queryCalls,
  sighting,
  startQueryServer,
  storeCases,
  StreamReader,
  timestamp,
  type OpenStore,
  type QueryServer,
} from '../test/query-harness';
import { AnswerLocalDeviceIds } from './answer-local-device-ids';
import type { QueryAccess } from './query-grpc-handlers';

const SECOND = 1_000_000_000n;
const PSEUDONYM_SHAPE = /^[A-Za-z0-9_-]{22}$/;

describe('AnswerLocalDeviceIds', () => {
  const pseudonyms = ['AAAAAAAAAAAAAAAAAAAAAA', 'BBBBBBBBBBBBBBBBBBBBBB', 'CCCCCCCCCCCCCCCCCCCCCC'];

  it('gives one device one id within an answer, shaped like a pseudonym but none of them', () => {
    const ids = new AnswerLocalDeviceIds();
    const [a, b, c] = pseudonyms.map((pseudonym) => ids.idOf(pseudonym));
    expect(ids.idOf(pseudonyms[0]!)).toBe(a);
    expect(new Set([a, b, c]).size).toBe(3);
    for (const id of [a, b, c]) {
      expect(id).toMatch(PSEUDONYM_SHAPE);
      expect(pseudonyms).not.toContain(id);
    }
  });

  it('gives the same device different ids in different answers', () => {
    const first = new AnswerLocalDeviceIds();
    const second = new AnswerLocalDeviceIds();
    expect(pseudonyms.map((p) => first.idOf(p))).not.toEqual(pseudonyms.map((p) => second.idOf(p)));
    expect(first.idOf(pseudonyms[0]!)).not.toBe(second.idOf(pseudonyms[0]!));
  });

  it('idsOf keeps order and agrees with idOf across its slices', async () => {
    const ids = new AnswerLocalDeviceIds();
    // More than one slice, every device repeated far apart.
    const many = Array.from({ length: 25_000 }, (_, index) => `device-${index % 7_000}`);
    const answered = await ids.idsOf(many);
    expect(answered).toHaveLength(many.length);
    expect(answered[0]).toBe(answered[7_000]);
    expect(answered[24_999]).toBe(ids.idOf(many[24_999]!));
    expect(new Set(answered).size).toBe(7_000);
  });
});

describe('device ids in query answers, by the caller’s access', () => {
  const SCOPE_HEADER = 'x-test-scope';
  // Stands for the server's token check: the test decides access by a header of its own.
  const access: QueryAccess = {
    deviceIdsFor: (metadata) =>
      metadata.get(SCOPE_HEADER)[0] === 'pseudonyms' ? 'pseudonyms' : 'answer_local',
  };
  const withPseudonyms = new Metadata();
  withPseudonyms.set(SCOPE_HEADER, 'pseudonyms');
  const storeCase = storeCases[0]!;
  const a = detector('disclosure-a');
  const b = detector('disclosure-b');
  const request = query.GetEventsRequest.fromPartial({ detectorIds: [a, b] });
  let store: OpenStore;
  let server: QueryServer;

  beforeAll(async () => {
    store = await storeCase.open();
    server = await startQueryServer(store.repository, undefined, undefined, access);
    await store.repository.events.append([
      sighting(a, 'pseudonym-of-device-1', BASE_TIME),
      sighting(b, 'pseudonym-of-device-1', BASE_TIME + 60n * SECOND),
      sighting(a, 'pseudonym-of-device-2', BASE_TIME + SECOND),
    ]);
  });
  afterAll(async () => {
    await server.stop();
    await store.close();
  });

  const getEvents = (metadata = new Metadata()) =>
    new Promise<query.GetEventsResponse>((resolve, reject) =>
      server.client.getEvents(request, metadata, (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
  const idsByDetector = (events: readonly query.DetectionEvent[]) =>
    events.map((event) => [event.detectorId, event.deviceId, event.time.length]);

  it('GetEvents shows stored pseudonyms only to callers allowed them', async () => {
    const shown = await getEvents(withPseudonyms);
    expect(idsByDetector(shown.events)).toEqual([
      [a, 'pseudonym-of-device-2', 1],
      [a, 'pseudonym-of-device-1', 1],
      [b, 'pseudonym-of-device-1', 1],
    ]);
    expect(await queryCalls(server.client).getEvents({ detectorIds: [a, b] })).not.toEqual(shown);
  });

  it('GetEvents gives others ids that match within the answer and nowhere else', async () => {
    const first = (await getEvents()).events;
    const second = (await getEvents()).events;
    const [device2AtA, device1AtA, device1AtB] = first.map((event) => event.deviceId);
    // The same device at both detectors shares its id: matching inside the answer works.
    expect(device1AtA).toBe(device1AtB);
    expect(device2AtA).not.toBe(device1AtA);
    for (const id of [device1AtA, device2AtA]) {
      expect(id).toMatch(PSEUDONYM_SHAPE);
      expect(id).not.toMatch(/^pseudonym-of/);
    }
    // Times and order are those of the pseudonym answer; only the ids differ per answer.
    expect(first.map((event) => [event.detectorId, event.time])).toEqual(
      second.map((event) => [event.detectorId, event.time]),
    );
    expect(second[1]!.deviceId).not.toBe(device1AtA);
  });

  it('StreamEvents keeps one id per device for the whole stream, another in the next', async () => {
    const streamIds = async (metadata: Metadata) => {
      const reader = new StreamReader(
        server.client.streamEvents(
          query.GetEventsRequest.fromPartial({
            detectorIds: [a, b],
            range: { before: timestamp(BASE_TIME + 3_600n * SECOND) },
          }),
          metadata,
        ),
      );
      expect(await reader.ended).toBeUndefined();
      return reader.received.map((event) => event.deviceId);
    };
    expect(await streamIds(withPseudonyms)).toEqual([
      'pseudonym-of-device-1',
      'pseudonym-of-device-2',
      'pseudonym-of-device-1',
    ]);
    const [first1, first2, first1Again] = await streamIds(new Metadata());
    expect(first1).toBe(first1Again);
    expect(first1).not.toBe(first2);
    expect(first1).toMatch(PSEUDONYM_SHAPE);
    const [next1] = await streamIds(new Metadata());
    expect(next1).not.toBe(first1);
  });
});
