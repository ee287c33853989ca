import { DEVICE_KINDS } from '@message-bus/domain';
import { Args, Flags } from '@oclif/core';
import { MbcliCommand } from '../lib/base-command';
import { durationFlag } from '../lib/flags/duration-flag';
import { collectorClient, collectorTarget } from '../lib/connection/grpc-connection';
import { importCsv, type ImportSummary } from '../lib/import/import-csv';
import { PRESETS, resolveLayout } from '../lib/import/import-layout';
import { ImportProgress } from '../lib/import/import-progress';
import { TIME_FORMATS } from '../lib/import/import-time';
import { ServiceCallError } from '../lib/connection/service-error';

/** The collector's limit on how far ahead of its clock a sighting may be (DEFAULT_COLLECTOR_LIMITS). */
const COLLECTOR_MAX_AHEAD_SECONDS = 300;

export default class Import extends MbcliCommand {
  static override summary = 'Bulk-load sightings from a CSV log into the collector, resumably.';
  static override description =
    'Reads FILE a line at a time, checks every row as the collector would (detector id, device id, kind, time), ' +
    'and sends the good rows in batches (one CreateEventLog per detector). A bad row is not sent: it goes to the ' +
    'rejects file (--rejects, default FILE.rejects.csv) with its line number, the reason and the original line.\n\n' +
    'After every acknowledged batch a checkpoint (FILE.import-state.json) records how far the import got: an ' +
    'interrupted import (Ctrl-C, a lost connection, --limit) continues from there when rerun with the same flags, and ' +
    'a finished file is not sent again. --restart ignores the checkpoint; the store keeps one copy of each sighting, so ' +
    'sending rows twice never duplicates them.\n\n' +
    'Columns are header names or column numbers (1 = first). --preset roadside-reader reads the roadside-reader ' +
    'export: header reader_id,device_address,read_time, Bluetooth reads, read_time in Unix seconds; other flags override it.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> import reads.csv --preset roadside-reader',
    '<%= config.bin %> import log.csv --detector_column station --device_column mac --time_column seen_at --time_format iso --kind wifi',
    '<%= config.bin %> import log.tsv --no-header --delimiter "\\t" --detector_column 1 --device_column 2 --time_column 3 --kind_column 4 --time_format epoch_ms',
    '<%= config.bin %> import reads.csv --preset roadside-reader --limit 1000 --json',
  ];
  static override args = {
    file: Args.string({ description: 'the CSV log to import', required: true }),
  };
  static override flags = {
    preset: Flags.option({
      options: PRESETS,
      description:
        'a known export layout: roadside-reader = reader_id, device_address, read_time (Unix s), bluetooth',
    })(),
    detector_column: Flags.string({ description: 'column of the detector id (default detector_id)' }),
    device_column: Flags.string({
      description: 'column of the device id, e.g. a MAC address (default device_id)',
    }),
    time_column: Flags.string({ description: 'column of the sighting time (default time)' }),
    time_format: Flags.option({
      options: TIME_FORMATS,
      description: 'how the time column is written (default epoch_s)',
    })(),
    kind: Flags.option({
      options: DEVICE_KINDS,
      description: 'the radio of every row',
      exclusive: ['kind_column'],
    })(),
    kind_column: Flags.string({
      description: 'column holding each row’s radio (wifi|bluetooth|mobile, WIFI, or the wire number 1–3)',
    }),
    header: Flags.boolean({
      description: 'the first line names the columns (default); --no-header: every line is a sighting',
      allowNo: true,
    }),
    delimiter: Flags.string({ description: 'field separator: one character, or \\t for tabs (default ,)' }),
    rejects: Flags.string({ description: 'where rejected rows go (default FILE.rejects.csv)' }),
    restart: Flags.boolean({
      description: 'ignore the checkpoint and import the whole file again (no duplicates are stored)',
      default: false,
    }),
    limit: Flags.integer({ description: 'stop after this many rows; a rerun continues after them', min: 1 }),
    retention_hours: durationFlag({
      description:
        "the server's --retention, like 7d or bare hours: older rows are rejected here, as the collector refuses them",
      default: '168h',
      bareUnit: 'hours',
    }),
    batch_size: Flags.integer({
      description: 'rows sent and checkpointed together',
      default: 5000,
      min: 1,
      max: 10_000,
    }),
  };

  async run(): Promise<ImportJson> {
    const { args, flags } = await this.parse(Import);
    const layout = resolveLayout(flags);
    const settings = this.connectionSettings(flags);
    const client = collectorClient(settings);
    const stop = new AbortController();
    const onInterrupt = () => stop.abort();
    process.once('SIGINT', onInterrupt);
    const progress = new ImportProgress();
    const checkpointPath = `${args.file}.import-state.json`;
    let summary: ImportSummary;
    try {
      summary = await importCsv({
        file: args.file,
        layout,
        rejectsPath: flags.rejects ?? `${args.file}.rejects.csv`,
        checkpointPath,
        restart: flags.restart,
        limit: flags.limit,
        batchSize: flags.batch_size,
        maxAheadSeconds: COLLECTOR_MAX_AHEAD_SECONDS,
        maxAgeSeconds: flags.retention_hours,
        client,
        target: collectorTarget(settings),
        signal: stop.signal,
        onProgress: (position) => progress.show(position),
      });
    } catch (error) {
      progress.clear();
      if (error instanceof ServiceCallError) throw new ImportStopped(error, checkpointPath);
      throw error;
    } finally {
      process.removeListener('SIGINT', onInterrupt);
      client.close();
    }
    progress.clear();
    this.log(describeSummary(summary));
    return { ...summary, rejectsFile: summary.rejectsFile ?? null };
  }
}

/** The summary as `--json` prints it: the rejects file is null when no row was rejected. */
type ImportJson = Omit<ImportSummary, 'rejectsFile'> & { readonly rejectsFile: string | null };

/** A failed call, and where the import can go on from: still one line. */
class ImportStopped extends ServiceCallError {
  constructor(error: ServiceCallError, checkpointPath: string) {
    super(error.target, error.cause);
    this.message = `${error.message}; the rows acknowledged so far are recorded in ${checkpointPath}, so rerunning the same command continues after them`;
  }
}

function describeSummary(summary: ImportSummary): string {
  if (summary.outcome === 'already_imported') {
    return (
      `${summary.file} is already imported (${summary.total.read} rows: ${summary.total.stored} stored, ` +
      `${summary.total.rejected} rejected); nothing sent. Rows appended to it later are imported by a rerun; --restart imports it all again.`
    );
  }
  const reasons = Object.entries(summary.rejectedByReason)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  const lines = [
    `${summary.rowsRead} rows read from line ${summary.startLine}: ${summary.stored} stored, ${summary.rejected} rejected` +
      `${reasons === '' ? '' : ` (${reasons})`} in ${summary.seconds.toFixed(1)}s (${Math.round(summary.rowsPerSecond)} rows/s)`,
  ];
  if (summary.rejectsFile !== undefined)
    lines.push(`rejected rows, with line numbers and reasons: ${summary.rejectsFile}`);
  if (summary.outcome === 'limit_reached') {
    lines.push(`stopped at --limit; rerun without it to continue from line ${summary.nextLine}`);
  } else if (summary.outcome === 'interrupted') {
    lines.push(`interrupted; rerun the same command to continue from line ${summary.nextLine}`);
  } else if (summary.resumed) {
    lines.push(
      `file complete: ${summary.total.read} rows in all, ${summary.total.stored} stored, ${summary.total.rejected} rejected`,
    );
  }
  return lines.join('\n');
}
