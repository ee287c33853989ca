import { status } from '@grpc/grpc-js';
import { GrpcStatusError } from '@message-bus/server-kit';
import { describe, expect, it } from 'vitest';
import { DEFAULT_QUERY_LIMITS } from './query-limits';
import { ScanAdmission } from './scan-admission';

const PEER_A = 'ipv4:127.0.0.1:50001';
const PEER_B = 'ipv4:127.0.0.1:50002';
const PEER_C = 'ipv4:127.0.0.1:50003';

/** What `admit` threw, as the client would see it. */
function refusal(admit: () => unknown): { code: number; details: string } | undefined {
  try {
    admit();
    return undefined;
  } catch (error) {
    if (!(error instanceof GrpcStatusError)) throw error;
    return { code: error.code, details: error.details };
  }
}

describe('ScanAdmission', () => {
  it('admits up to maxConcurrentScansPerConnection of one connection, then refuses with RESOURCE_EXHAUSTED', () => {
    const scans = new ScanAdmission({ maxConcurrentScans: 10, maxConcurrentScansPerConnection: 2 });
    const call = new AbortController();
    scans.admit('GetEvents', PEER_A, call.signal);
    scans.admit('StreamEvents', PEER_A, call.signal);

    expect(refusal(() => scans.admit('GetEvents', PEER_A, call.signal))).toEqual({
      code: status.RESOURCE_EXHAUSTED,
      details:
        'GetEvents: this connection already runs 2 scans (GetEvents, GetBatteryVoltage, GetTravelTimes, ' +
        'GetOriginDestination, GetReliability and StreamEvents replays), the most one connection may ' +
        '(maxConcurrentScansPerConnection); wait for one to end or cancel it, then retry',
    });
    // Another connection is not held back by this one's.
    expect(refusal(() => scans.admit('GetEvents', PEER_B, call.signal))).toBeUndefined();
    expect([scans.scansRunning(), scans.scansRunning(PEER_A), scans.scansRunning(PEER_B)]).toEqual([3, 2, 1]);
  });

  it('admits up to maxConcurrentScans from all connections, then refuses the next with RESOURCE_EXHAUSTED', () => {
    const scans = new ScanAdmission({ maxConcurrentScans: 3, maxConcurrentScansPerConnection: 2 });
    const call = new AbortController();
    scans.admit('GetEvents', PEER_A, call.signal);
    scans.admit('GetEvents', PEER_A, call.signal);
    scans.admit('GetEvents', PEER_B, call.signal);

    expect(refusal(() => scans.admit('StreamEvents', PEER_C, call.signal))).toEqual({
      code: status.RESOURCE_EXHAUSTED,
      details:
        'StreamEvents: the server already runs 3 scans (GetEvents, GetBatteryVoltage, GetTravelTimes, ' +
        'GetOriginDestination, GetReliability and StreamEvents replays), the most it admits at once ' +
        '(maxConcurrentScans); retry after a backoff, or narrow range, limit or detector_ids',
    });
    expect(scans.scansRunning()).toBe(3);
  });

  it('frees the slot of a call whose signal aborts (cancelled or ended), once', () => {
    const scans = new ScanAdmission({ maxConcurrentScans: 1, maxConcurrentScansPerConnection: 1 });
    const cancelled = new AbortController();
    scans.admit('StreamEvents', PEER_A, cancelled.signal);
    expect(refusal(() => scans.admit('GetEvents', PEER_B, new AbortController().signal))?.code).toBe(
      status.RESOURCE_EXHAUSTED,
    );

    cancelled.abort();

    expect([scans.scansRunning(), scans.scansRunning(PEER_A)]).toEqual([0, 0]);
    expect(refusal(() => scans.admit('GetEvents', PEER_B, new AbortController().signal))).toBeUndefined();
    expect(scans.scansRunning()).toBe(1);
  });

  it('frees the slot when released early (a replay done), and not twice when the call ends later', () => {
    const scans = new ScanAdmission({ maxConcurrentScans: 2, maxConcurrentScansPerConnection: 2 });
    const stream = new AbortController();
    const other = new AbortController();
    const replayed = scans.admit('StreamEvents', PEER_A, stream.signal);
    scans.admit('GetEvents', PEER_A, other.signal);

    replayed();
    replayed();
    stream.abort();

    expect([scans.scansRunning(), scans.scansRunning(PEER_A)]).toEqual([1, 1]);
  });

  it('takes no slot for a call already cancelled', () => {
    const scans = new ScanAdmission(DEFAULT_QUERY_LIMITS);
    scans.admit('GetEvents', PEER_A, AbortSignal.abort());
    expect(scans.scansRunning()).toBe(0);
  });
});
