import type { collector, query } from '@message-bus/proto';
import type { CallLog } from './call-log';
import { checkHealth, collectorClient, createEventLog, getEvents, queryClient } from './grpc-clients';
import type { SightingPlan } from './sighting-plan';

export interface SteadyCallsOptions {
  /** The collector, query and healthcheck addresses (`127.0.0.1:<port>`). */
  readonly collectorAddress: string;
  readonly queryAddress: string;
  readonly healthAddress: string;
  /** Whose logs are sent one CreateEventLog each, in order; it must hold more logs than the run sends. */
  readonly plan: SightingPlan;
  /** Where every call is recorded. */
  readonly calls: CallLog;
  /** Pause between rounds; e.g. `50` ms (the default). */
  readonly pauseMs?: number;
}

/**
 * What a dashboard and a detector do while a test injects faults: rounds of one
 * CreateEventLog (the plan's next log), one GetEvents of that log's detector and one
 * health check, one call at a time, each recorded in the CallLog (a health answer other
 * than SERVING counts as a failed call). A failed log is not sent again.
 */
export class SteadyCalls {
  private readonly acked: collector.EventLog[] = [];
  private readonly failed: collector.EventLog[] = [];
  private readonly collector: collector.CollectorServiceClient;
  private readonly query: query.QueryServiceClient;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly options: SteadyCallsOptions) {
    this.collector = collectorClient(options.collectorAddress);
    this.query = queryClient(options.queryAddress);
  }

  /** Logs the server acknowledged. */
  get ackedLogs(): readonly collector.EventLog[] {
    return this.acked;
  }

  /** Logs whose call failed: each may be stored or not. */
  get failedLogs(): readonly collector.EventLog[] {
    return this.failed;
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Ends the rounds after the current call and closes the clients. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
    this.collector.close();
    this.query.close();
  }

  private async run(): Promise<void> {
    const { plan, calls } = this.options;
    for (let index = 0; !this.stopping; index++) {
      const log = plan.logs[index];
      if (log === undefined) throw new Error(`the steady calls ran out of logs after ${index}`);
      try {
        await calls.record('CreateEventLog', () => createEventLog(this.collector, log, 10_000));
        this.acked.push(log);
      } catch {
        this.failed.push(log);
      }
      const request = { detectorIds: [log.loc!.detectorId], range: plan.range, limit: 10n };
      await calls.record('GetEvents', () => getEvents(this.query, request, 10_000)).catch(() => undefined);
      await calls
        .record(
          'Health',
          () => checkHealth(this.options.healthAddress, '', 5_000),
          (status) => (status === 'SERVING' ? undefined : status),
        )
        .catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, this.options.pauseMs ?? 50));
    }
  }
}
