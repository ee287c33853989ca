import { credentials, type ServiceError } from '@grpc/grpc-js';
import { percentile } from '@message-bus/domain';
import { collector, query } from '@message-bus/proto';
import { once } from 'node:events';
import { soakLogAt, soakSchedule } from '../soak/soak-traffic';
import type {
  FromLoadGenerator,
  GetEventsJob,
  LoadJob,
  LoadProgress,
  LoadResult,
  PacedJob,
  StreamJob,
  ToLoadGenerator,
  UnaryJob,
} from './load-jobs';
import { eventLogAt, logCount } from './sighting-logs';

/** The argument that makes a suite's bundle serve as the load generator instead of running the suite. */
export const LOAD_GENERATOR_FLAG = '--load-generator';

/**
 * The load generator's side: runs the jobs the parent sends over IPC, one at a time,
 * with one gRPC client (one HTTP/2 connection) per server address, as a detector
 * gateway would, and answers with what each took. Exits when told to or when the
 * parent goes away.
 */
export function serveLoadGenerator(): void {
  const send = (message: FromLoadGenerator) => process.send!(message);
  const clients = new Clients();
  process.on('message', (message: ToLoadGenerator) => {
    if (message.type === 'exit') {
      clients.close();
      process.disconnect();
      return;
    }
    const { id, job } = message;
    runJob(job, clients, (progress) => send({ type: 'progress', id, progress })).then(
      (result) => send({ type: 'result', id, result }),
      (error: unknown) =>
        send({
          type: 'failed',
          id,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
    );
  });
  process.once('disconnect', () => clients.close());
  send({ type: 'ready' });
}

/** One client per address, kept across jobs so connection set-up is never timed. */
class Clients {
  private readonly collectors = new Map<string, collector.CollectorServiceClient>();
  private readonly queries = new Map<string, query.QueryServiceClient>();

  collector(address: string): collector.CollectorServiceClient {
    let client = this.collectors.get(address);
    if (client === undefined) {
      client = new collector.CollectorServiceClient(address, credentials.createInsecure());
      this.collectors.set(address, client);
    }
    return client;
  }

  query(address: string): query.QueryServiceClient {
    let client = this.queries.get(address);
    if (client === undefined) {
      client = new query.QueryServiceClient(address, credentials.createInsecure(), {
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
      });
      this.queries.set(address, client);
    }
    return client;
  }

  close(): void {
    for (const client of [...this.collectors.values(), ...this.queries.values()]) client.close();
  }
}

async function runJob(
  job: LoadJob,
  clients: Clients,
  onProgress: (progress: LoadProgress) => void,
): Promise<LoadResult> {
  switch (job.kind) {
    case 'unary':
      return runUnary(job, clients.collector(job.collector));
    case 'stream':
      return runStreams(job, clients.collector(job.collector));
    case 'get-events':
      return runGetEvents(job, clients.query(job.query));
    case 'paced':
      return runPaced(job, clients.collector(job.collector), onProgress);
  }
}

/** Times `work` and this process's CPU meanwhile. */
async function timed(work: () => Promise<Omit<LoadResult, 'seconds' | 'cpuSeconds'>>): Promise<LoadResult> {
  const cpuStarted = process.cpuUsage();
  const started = process.hrtime.bigint();
  const outcome = await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  return { ...outcome, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

function sinceMs(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function createEventLog(client: collector.CollectorServiceClient, log: collector.EventLog): Promise<void> {
  return new Promise((resolve, reject) =>
    client.createEventLog(log, (error: ServiceError | null) => (error ? reject(error) : resolve())),
  );
}

function runUnary(job: UnaryJob, client: collector.CollectorServiceClient): Promise<LoadResult> {
  const logs = logCount(job.plan);
  return timed(async () => {
    const latenciesMs: number[] = [];
    let next = 0;
    let sightings = 0;
    const caller = async (): Promise<void> => {
      while (next < logs) {
        const log = eventLogAt(job.plan, next++);
        const started = process.hrtime.bigint();
        await createEventLog(client, log);
        latenciesMs.push(sinceMs(started));
        sightings += log.events.length;
      }
    };
    await Promise.all(Array.from({ length: Math.min(job.concurrency, logs) }, caller));
    return { sightings, latenciesMs, failedCalls: 0 };
  });
}

function runStreams(job: StreamJob, client: collector.CollectorServiceClient): Promise<LoadResult> {
  const logs = logCount(job.plan);
  return timed(async () => {
    const latenciesMs: number[] = [];
    let sightings = 0;
    for (let first = 0; first < logs; first += job.logsPerStream) {
      const last = Math.min(logs, first + job.logsPerStream);
      const started = process.hrtime.bigint();
      let sent = 0;
      const response = await new Promise<collector.SendStreamResponse>((resolve, reject) => {
        const stream = client.streamEventLog((error, answer) => (error ? reject(error) : resolve(answer)));
        void (async () => {
          for (let index = first; index < last; index += 1) {
            const log = eventLogAt(job.plan, index);
            sent += log.events.length;
            // Wait while grpc-js holds more than its buffer: the server pushes back by reading slower.
            if (!stream.write(log)) await once(stream, 'drain');
          }
          stream.end();
        })().catch(reject);
      });
      latenciesMs.push(sinceMs(started));
      const acknowledged = Number(response.wifi + response.bluetooth + response.mobile);
      if (acknowledged !== sent) {
        throw new Error(`StreamEventLog acknowledged ${acknowledged} sightings of the ${sent} sent`);
      }
      sightings += acknowledged;
    }
    return { sightings, latenciesMs, failedCalls: 0 };
  });
}

function runGetEvents(job: GetEventsJob, client: query.QueryServiceClient): Promise<LoadResult> {
  const request: query.GetEventsRequest = {
    detectorIds: [job.detectorId],
    range: {
      after: { seconds: BigInt(job.afterSeconds), nanos: 0 },
      before: { seconds: BigInt(job.beforeSeconds), nanos: 0 },
    },
    limit: BigInt(job.expectedSightings),
  };
  return timed(async () => {
    const latenciesMs: number[] = [];
    let sightings = 0;
    for (let repeat = 0; repeat < job.repeats; repeat += 1) {
      const started = process.hrtime.bigint();
      const response = await new Promise<query.GetEventsResponse>((resolve, reject) =>
        client.getEvents(request, (error, answer) => (error ? reject(error) : resolve(answer))),
      );
      latenciesMs.push(sinceMs(started));
      const read = response.events.reduce((total, event) => total + event.time.length, 0);
      if (read !== job.expectedSightings) {
        throw new Error(
          `GetEvents returned ${read} sightings of ${job.detectorId}, expected ${job.expectedSightings}`,
        );
      }
      sightings += read;
    }
    return { sightings, latenciesMs, failedCalls: 0 };
  });
}

/**
 * Soak traffic at a steady pace: log n goes out at start + n × (sightingsPerLog ÷
 * rate), or as soon as a caller is free when unpaced. A failed call is counted, not
 * retried, so the stored count can be checked against the acknowledged one.
 */
function runPaced(
  job: PacedJob,
  client: collector.CollectorServiceClient,
  onProgress: (progress: LoadProgress) => void,
): Promise<LoadResult> {
  const gapMs =
    job.sightingsPerSecond === undefined ? 0 : (job.sightingsPerLog * 1000) / job.sightingsPerSecond;
  const schedule = soakSchedule(job.traffic, job.sightingsPerLog, job.sightingsPerSecond);
  return timed(async () => {
    const started = performance.now();
    const stopAt = started + job.seconds * 1000;
    let next = 0;
    let sightings = 0;
    let failedCalls = 0;
    let firstFailure: string | undefined;
    let windowLatencies: number[] = [];
    const latenciesMs: number[] = [];
    const report = () => {
      onProgress({
        elapsedSeconds: (performance.now() - started) / 1000,
        sightings,
        failedCalls,
        calls: windowLatencies.length,
        p50Ms: percentile(windowLatencies, 0.5) ?? 0,
        p99Ms: percentile(windowLatencies, 0.99) ?? 0,
      });
      windowLatencies = [];
    };
    const progressTimer = setInterval(report, job.progressEveryMs);
    const caller = async (): Promise<void> => {
      for (;;) {
        const index = next++;
        const dueAt = started + index * gapMs;
        if (dueAt >= stopAt || performance.now() >= stopAt) return;
        const wait = dueAt - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const log = soakLogAt(
          job.traffic,
          schedule,
          job.sightingsPerLog,
          index,
          BigInt(Date.now()) * 1_000_000n,
        );
        const callStarted = process.hrtime.bigint();
        try {
          await createEventLog(client, log);
          sightings += log.events.length;
        } catch (error) {
          failedCalls += 1;
          firstFailure ??= error instanceof Error ? error.message : String(error);
        }
        const latency = sinceMs(callStarted);
        windowLatencies.push(latency);
        latenciesMs.push(latency);
      }
    };
    try {
      await Promise.all(Array.from({ length: job.concurrency }, caller));
    } finally {
      clearInterval(progressTimer);
    }
    report();
    return { sightings, latenciesMs, failedCalls, ...(firstFailure === undefined ? {} : { firstFailure }) };
  });
}
