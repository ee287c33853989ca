import { status, type ServiceError } from '@grpc/grpc-js';
import { ALERT_KINDS, ALERT_SEVERITIES, timestampToNanos } from '@message-bus/domain';
import { query } from '@message-bus/proto';
import { Flags, ux } from '@oclif/core';
import { MbcliCommand } from '../lib/base-command';
import { queryClient, queryTarget } from '../lib/connection/grpc-connection';
import { listAllAlerts } from '../lib/connection/paged-lists';
import { ServiceCallError, type ServiceTarget } from '../lib/connection/service-error';
import { csvCells, formatCsvLine } from '../lib/csv/csv-fields';
import {
  ALERT_CSV_COLUMNS,
  alertCells,
  ALERT_HEADERS,
  alertRow,
  wireAlertKind,
  wireAlertSeverity,
  type AlertRow,
} from '../lib/display/alert-rows';
import { renderTable } from '../lib/display/table';
import { formatTimestamp } from '../lib/display/time-format';
import { instantFlag } from '../lib/flags/instant-flag';
import { InputError } from '../lib/input-error';

export default class Alerts extends MbcliCommand {
  static override summary = 'List alerts, newest first, and follow new ones (ListAlerts, StreamAlerts).';
  static override description =
    'Alerts the travel-time workers raise: congestion (a link or route well above its typical travel time), ' +
    'detector silent, battery low, clock skew, never matches. An alert is open until its condition clears; ' +
    'SEVERITY is the worst it reached.\n\n' +
    'With --follow, the listed alerts are followed by each alert raised, updated or cleared from then on, ' +
    'one line each (JSON lines with --json), until Ctrl-C.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> alerts --open',
    '<%= config.bin %> alerts --kind congestion,clock_skew --min_severity warning --after 2026-01-30T00:00:00Z',
    '<%= config.bin %> alerts --open --follow',
    '<%= config.bin %> alerts --csv > alerts.csv',
  ];
  static override flags = {
    kind: Flags.option({
      options: ALERT_KINDS,
      description: 'only these kinds (comma-separated or repeated); default every kind',
      multiple: true,
      delimiter: ',',
    })(),
    min_severity: Flags.option({
      options: ALERT_SEVERITIES,
      description: 'only alerts at least this severe',
    })(),
    open: Flags.boolean({ description: 'only alerts that are still open', default: false }),
    after: instantFlag({ description: 'only alerts open at or after this time (RFC 3339, Unix seconds or -1h)' }),
    before: instantFlag({ description: 'only alerts open before this time (RFC 3339, Unix seconds or -1h)' }),
    csv: Flags.boolean({
      description: 'print the list as CSV',
      default: false,
      exclusive: ['follow', 'json'],
    }),
    follow: Flags.boolean({
      description: 'after the list, print alerts as they change until Ctrl-C',
      default: false,
    }),
    stop_after: Flags.integer({
      description: 'with --follow: stop after this many changes (for scripts)',
      min: 1,
      dependsOn: ['follow'],
    }),
  };

  async run(): Promise<AlertRow[] | undefined> {
    const { flags } = await this.parse(Alerts);
    const { after, before } = flags;
    if (after !== undefined && before !== undefined && timestampToNanos(after) >= timestampToNanos(before)) {
      throw new InputError(`--after ${formatTimestamp(after)} is not before --before ${formatTimestamp(before)}`);
    }
    const kinds = (flags.kind ?? []).map(wireAlertKind);
    const minSeverity =
      flags.min_severity === undefined
        ? query.AlertSeverity.ALERT_SEVERITY_UNSPECIFIED
        : wireAlertSeverity(flags.min_severity);
    const settings = this.connectionSettings(flags);
    const target = queryTarget(settings);
    const client = queryClient(settings);
    // Opened before the list is read, so no change between the two is missed.
    const following = flags.follow
      ? this.follow(client, target, { kinds, minSeverity }, flags.stop_after)
      : undefined;
    try {
      const rows = (
        await listAllAlerts(client, target, {
          range: { after, before },
          kinds,
          minSeverity,
          openOnly: flags.open,
        }).catch(async (error: unknown) => {
          following?.cancel();
          await following?.ended.catch(() => undefined);
          throw error;
        })
      ).map(alertRow);
      if (flags.csv) {
        const lines = [ALERT_CSV_COLUMNS, ...rows.map((row) => csvCells(row, ALERT_CSV_COLUMNS))];
        ux.stdout(lines.map(formatCsvLine).join('\n'));
        return rows;
      }
      if (following === undefined) {
        this.log(rows.length === 0 ? 'no alerts' : renderTable(ALERT_HEADERS, rows.map(alertCells)));
        return rows;
      }
      const json = this.jsonEnabled();
      if (!json) ux.stdout(ALERT_HEADERS.join('  '));
      // Oldest first, so the lines that follow read on in time order.
      for (const row of [...rows].reverse())
        ux.stdout(json ? JSON.stringify(row) : alertCells(row).join('  '));
      following.release();
      await following.ended;
      return undefined;
    } finally {
      client.close();
    }
  }

  /**
   * Follows StreamAlerts from now on. Changes are held until `release` (once the list is
   * printed), then printed one line each until Ctrl-C, `cancel` or --stop_after; a change
   * that came while the list was read may show in both, under the same id.
   */
  private follow(
    client: query.QueryServiceClient,
    target: ServiceTarget,
    request: query.StreamAlertsRequest,
    stopAfter: number | undefined,
  ): { release: () => void; cancel: () => void; ended: Promise<void> } {
    const json = this.jsonEnabled();
    const stream = client.streamAlerts(query.StreamAlertsRequest.fromPartial(request));
    const held: query.Alert[] = [];
    let released = false;
    let printed = 0;
    const stop = () => stream.cancel();
    const print = (alert: query.Alert) => {
      if (stopAfter !== undefined && printed >= stopAfter) return;
      const row = alertRow(alert);
      ux.stdout(json ? JSON.stringify(row) : alertCells(row).join('  '));
      printed += 1;
      if (stopAfter !== undefined && printed >= stopAfter) stop();
    };
    process.once('SIGINT', stop);
    const ended = new Promise<void>((resolve, reject) => {
      const finish = (error?: Error) => {
        process.removeListener('SIGINT', stop);
        stream.removeAllListeners();
        // A late error after cancelling must not be an unhandled 'error' event.
        stream.on('error', () => undefined);
        if (error === undefined) resolve();
        else reject(error);
      };
      stream.on('data', (alert: query.Alert) => (released ? print(alert) : held.push(alert)));
      stream.on('error', (error: ServiceError) =>
        // Cancelling is how the operator (or --stop_after) ends the stream.
        finish(error.code === status.CANCELLED ? undefined : new ServiceCallError(target, error)),
      );
      stream.on('end', () => finish());
    });
    // The stream may fail while the list is still being read, before anyone awaits it;
    // the failure is still thrown where `ended` is awaited.
    ended.catch(() => undefined);
    return {
      release: () => {
        released = true;
        for (const alert of held.splice(0)) print(alert);
      },
      cancel: stop,
      ended,
    };
  }
}
