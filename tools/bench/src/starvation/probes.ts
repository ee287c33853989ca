import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { collector } from '@message-bus/proto';
import { parentPort, Worker } from 'node:worker_threads';

/** Where the probes go and how often. */
export interface ProbeTargets {
  readonly healthAddress: string;
  readonly collectorAddress: string;
  /** One health Check and one CreateEventLog are started every this many ms, whether the last answered or not. */
  readonly intervalMs: number;
  /** A probe not answered within this counts as taking this long. */
  readonly deadlineMs: number;
}

/** Every probe's latency in ms, in the order started; a probe that failed counts as taking `deadlineMs`. */
export interface ProbeResults {
  readonly healthMs: readonly number[];
  readonly ingestMs: readonly number[];
  readonly failures: number;
}

/** The `workerData.role` that makes a starvation bundle run as the probe thread. */
export const PROBE_ROLE = 'starvation-probes';

/**
 * Health Check and CreateEventLog probes at a fixed rate from their own thread, so the
 * attack's client-side work (thousands of streams in the main thread) cannot delay them:
 * what they measure is the server's answer time.
 */
export class ProbeThread {
  private readonly worker: Worker;

  constructor(bundle: string, targets: ProbeTargets) {
    this.worker = new Worker(bundle, { workerData: { role: PROBE_ROLE, targets } });
  }

  /** Stops starting probes, waits for those in flight, and resolves to all the latencies. */
  async stop(): Promise<ProbeResults> {
    const results = new Promise<ProbeResults>((resolve, reject) => {
      this.worker.once('message', resolve);
      this.worker.once('error', reject);
    });
    this.worker.postMessage('stop');
    const answer = await results;
    await this.worker.terminate();
    return answer;
  }
}

/** The probe thread's side: probes until told to stop, then posts the results. */
export function runProbes(targets: ProbeTargets): void {
  const health = new Client(targets.healthAddress, credentials.createInsecure());
  const ingest = new collector.CollectorServiceClient(targets.collectorAddress, credentials.createInsecure());
  const healthMs: number[] = [];
  const ingestMs: number[] = [];
  let failures = 0;
  const inFlight = new Set<Promise<void>>();
  let sequence = 0;

  const timed = (
    into: number[],
    index: number,
    call: (done: (error: ServiceError | null) => void) => void,
  ) => {
    const started = performance.now();
    const probe = new Promise<void>((resolve) =>
      call((error) => {
        if (error !== null) failures += 1;
        into[index] = error === null ? performance.now() - started : targets.deadlineMs;
        resolve();
      }),
    );
    inFlight.add(probe);
    void probe.then(() => inFlight.delete(probe));
  };

  const tick = () => {
    const index = sequence;
    sequence += 1;
    const deadline = Date.now() + targets.deadlineMs;
    timed(healthMs, index, (done) =>
      // grpc.health.v1.Health/Check with an empty HealthCheckRequest (the whole server).
      health.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        () => Buffer.alloc(0),
        (bytes: Buffer) => bytes,
        {},
        new Metadata(),
        { deadline },
        (error) => done(error),
      ),
    );
    timed(ingestMs, index, (done) =>
      ingest.createEventLog(probeLog(index), new Metadata(), { deadline }, (error) => done(error)),
    );
  };
  const timer = setInterval(tick, targets.intervalMs);

  parentPort!.once('message', () => {
    clearInterval(timer);
    void Promise.all(inFlight).then(() => {
      health.close();
      ingest.close();
      parentPort!.postMessage({ healthMs, ingestMs, failures } satisfies ProbeResults);
    });
  });
}

/** One sighting of the probe detector, a distinct device each time. */
function probeLog(index: number): collector.EventLog {
  const nowMs = Date.now();
  return {
    loc: { detectorId: 'starvation-probe', latitude: 0n, longitude: 0n },
    events: [
      {
        time: [{ seconds: BigInt(Math.floor(nowMs / 1000)), nanos: (nowMs % 1000) * 1_000_000 }],
        deviceId: {
          $case: 'wifi',
          value: `02:00:00:${hexByte(index >> 16)}:${hexByte(index >> 8)}:${hexByte(index)}`,
        },
      },
    ],
  };
}

function hexByte(value: number): string {
  return (value & 0xff).toString(16).padStart(2, '0');
}
