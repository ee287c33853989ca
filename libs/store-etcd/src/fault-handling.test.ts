import { BrokenCircuitError } from 'cockatiel';
import {
  GRPCFailedPreconditionError,
  GRPCInvalidArgumentError,
  GRPCResourceExhastedError,
  GRPCUnavailableError,
} from 'etcd3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EtcdFaultHandling, type EndpointState } from './fault-handling';

const endpoints = ['http://etcd-0:2379', 'http://etcd-1:2379', 'http://etcd-2:2379'];
const [first] = endpoints as [string];

const refused = () =>
  new GRPCUnavailableError('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED');
/** What grpc-js itself rejects with, before etcd3 types it (the backend's own txn path sees these). */
const dropped = () => Object.assign(new Error('14 UNAVAILABLE: Connection dropped'), { code: 14 });
const answeredRefusals = {
  NOSPACE: () =>
    new GRPCResourceExhastedError('8 RESOURCE_EXHAUSTED: etcdserver: mvcc: database space exceeded'),
  'invalid argument': () =>
    new GRPCInvalidArgumentError('3 INVALID_ARGUMENT: etcdserver: request is too large'),
  'failed precondition': () =>
    new GRPCFailedPreconditionError('9 FAILED_PRECONDITION: etcdserver: revision of auth store is old'),
  'no leader': () => new GRPCUnavailableError('14 UNAVAILABLE: etcdserver: no leader'),
};

function faultHandling(callTimeoutMs = 5_000) {
  const changes: [string, EndpointState][] = [];
  const handling = new EtcdFaultHandling(endpoints, callTimeoutMs, (endpoint, state) =>
    changes.push([endpoint, state]),
  );
  const hosts = new Map(endpoints.map((endpoint) => [endpoint, handling.policies.host!(endpoint)]));
  const call = (endpoint: string, outcome: () => unknown) =>
    hosts.get(endpoint)!.execute(async () => {
      const result = outcome();
      if (result instanceof Error) throw result;
      return result;
    });
  return { handling, changes, call };
}

describe('EtcdFaultHandling circuits', () => {
  afterEach(() => vi.useRealTimers());

  it('opens an endpoint that refuses a connection, and then skips it without calling', async () => {
    const { handling, changes, call } = faultHandling();
    await expect(call(first, refused)).rejects.toThrow('ECONNREFUSED');

    expect(handling.endpointStates().get(first)).toBe('open');
    expect(changes).toEqual([[first, 'open']]);
    const skipped = vi.fn(() => 'answered');
    await expect(call(first, skipped)).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(skipped).not.toHaveBeenCalled();
    expect(await call(endpoints[1]!, () => 'answered')).toBe('answered');
  });

  it("counts grpc-js's own untyped connection errors too", async () => {
    const { handling, call } = faultHandling();
    await expect(call(first, dropped)).rejects.toThrow('Connection dropped');
    expect(handling.endpointStates().get(first)).toBe('open');
  });

  it.each(Object.entries(answeredRefusals))(
    'keeps an endpoint that answers with %s in use',
    async (_, refusal) => {
      const { handling, changes, call } = faultHandling();
      for (let attempt = 0; attempt < 5; attempt++) {
        await expect(call(first, refusal)).rejects.toBeInstanceOf(Error);
      }
      expect(handling.endpointStates().get(first)).toBe('closed');
      expect(changes).toEqual([]);
      expect(await call(first, () => 'answered')).toBe('answered');
    },
  );

  it('probes an open endpoint after a while and closes it when the probe succeeds', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { handling, changes, call } = faultHandling();
    await expect(call(first, refused)).rejects.toThrow('ECONNREFUSED');

    vi.setSystemTime(Date.now() + 60_000);
    expect(await call(first, () => 'answered')).toBe('answered');
    expect(handling.endpointStates().get(first)).toBe('closed');
    expect(changes).toEqual([
      [first, 'open'],
      [first, 'half-open'],
      [first, 'closed'],
    ]);
  });

  it('opens the endpoint again when the probe fails', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { handling, changes, call } = faultHandling();
    await expect(call(first, refused)).rejects.toThrow('ECONNREFUSED');

    vi.setSystemTime(Date.now() + 60_000);
    await expect(call(first, refused)).rejects.toThrow('ECONNREFUSED');
    expect(handling.endpointStates().get(first)).toBe('open');
    expect(changes.map(([, state]) => state)).toEqual(['open', 'half-open', 'open']);
  });

  it('waits 0.5 s before the first probe, and twice as long after each failed one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { call } = faultHandling();
    const answered = () => 'answered';
    await expect(call(first, refused)).rejects.toThrow('ECONNREFUSED');
    for (const waitMs of [500, 1_000, 2_000]) {
      vi.setSystemTime(Date.now() + waitMs - 1);
      await expect(call(first, answered)).rejects.toBeInstanceOf(BrokenCircuitError);
      vi.setSystemTime(Date.now() + 1);
      await expect(call(first, refused)).rejects.toThrow('ECONNREFUSED');
    }
  });

  it('gives a single endpoint no circuit: nowhere else to send its calls', async () => {
    const handling = new EtcdFaultHandling([first], 5_000);
    const host = handling.policies.host!(first);
    await expect(host.execute(() => Promise.reject(refused()))).rejects.toThrow('ECONNREFUSED');
    expect(await host.execute(() => 'answered')).toBe('answered');
    expect(handling.endpointStates().size).toBe(0);
  });
});

describe('EtcdFaultHandling retries', () => {
  const attemptsUntil = async (callTimeoutMs: number, outcomes: (() => unknown)[]) => {
    const { handling } = faultHandling(callTimeoutMs);
    let attempts = 0;
    const result = await handling.policies
      .global!.execute(async () => {
        const outcome = outcomes[Math.min(attempts++, outcomes.length - 1)]!();
        if (outcome instanceof Error) throw outcome;
        return outcome;
      })
      .catch((error: unknown) => error);
    return { attempts, result };
  };

  it('sends a call again after a connection failure or with every circuit open', async () => {
    expect(await attemptsUntil(5_000, [refused, () => new BrokenCircuitError(), () => 'answered'])).toEqual({
      attempts: 3,
      result: 'answered',
    });
  });

  it.each(Object.entries(answeredRefusals).filter(([name]) => name !== 'no leader'))(
    'does not send a call refused with %s again',
    async (_, refusal) => {
      const { attempts } = await attemptsUntil(5_000, [refusal, () => 'answered']);
      expect(attempts).toBe(1);
    },
  );

  it('stops retrying once the backoff delays would pass the call deadline', async () => {
    // Delays of 25, 50 and 100 ms: the third would end past a 100 ms deadline.
    const { attempts, result } = await attemptsUntil(100, [() => new BrokenCircuitError()]);
    expect(attempts).toBe(3);
    expect(result).toBeInstanceOf(BrokenCircuitError);
  });
});

describe('EtcdFaultHandling watch reconnects', () => {
  it('waits at most 2 s between reconnects of a watch stream, however often it drops', () => {
    const { handling } = faultHandling();
    const waits: number[] = [];
    // As etcd3's watch manager steps it: `next()` of what it was given, after each drop.
    let backoff = handling.policies.watchBackoff!.next(undefined);
    for (let drop = 0; drop < 30; drop++) {
      waits.push(backoff.duration);
      backoff = backoff.next(undefined);
    }

    expect(Math.max(...waits)).toBe(2_000);
    expect(waits.every((wait) => wait >= 0)).toBe(true);
  });
});
