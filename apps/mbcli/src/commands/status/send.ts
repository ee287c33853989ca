import { nanosToTimestamp } from '@message-bus/domain';
import { Flags } from '@oclif/core';
import { collector, type Empty } from '@message-bus/proto';
import { MbcliCommand } from '../../lib/base-command';
import { collectorClient, collectorTarget, unaryCall } from '../../lib/connection/grpc-connection';
import { InputError } from '../../lib/input-error';
import { parseRadios, radioName } from '../../lib/radios';
import { exactTime } from '../../lib/display/time-format';

export default class StatusSend extends MbcliCommand {
  static override summary = "Send a detector's status report (CreateDetectorStatus), as a detector would.";
  static override examples = [
    '<%= config.bin %> status send --id a1 --voltage 12.6 --radios wifi,bluetooth',
    '<%= config.bin %> status send --id a1 --voltage 12.6 --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    id: Flags.string({ description: 'detector id', required: true }),
    voltage: Flags.string({ description: 'battery voltage', required: true }),
    radios: Flags.string({
      description: 'active radios: wifi, bluetooth, mobile (comma-separated or repeated)',
      multiple: true,
      delimiter: ',',
      default: [],
    }),
  };

  /** The report sent; its time (now) as RFC 3339 beside the exact Unix nanoseconds. */
  async run(): Promise<{ id: string; voltage: number; radios: string[]; time: string; unixNanos: string }> {
    const { flags } = await this.parse(StatusSend);
    const voltage = Number(flags.voltage);
    if (!Number.isFinite(voltage) || voltage < 0) {
      throw new InputError(
        `--voltage "${flags.voltage}" is not a voltage; give a non-negative number like 12.6`,
      );
    }
    const settings = this.connectionSettings(flags);
    const time = nanosToTimestamp(BigInt(Date.now()) * 1_000_000n);
    const report = collector.DetectorStatus.fromPartial({
      loc: { detectorId: flags.id },
      activeDetectors: parseRadios(flags.radios),
      batteryVoltage: voltage,
      time,
    });
    const client = collectorClient(settings);
    try {
      await unaryCall<Empty>(collectorTarget(settings), (metadata, options, done) =>
        client.createDetectorStatus(report, metadata, options, done),
      );
    } finally {
      client.close();
    }
    const radios = report.activeDetectors.map(radioName);
    this.log(`status of ${flags.id} sent: ${voltage} V, radios ${radios.join(',') || 'none'}`);
    const sentAt = exactTime(time);
    return { id: flags.id, voltage, radios, time: sentAt.rfc3339, unixNanos: sentAt.unixNanos };
  }
}
