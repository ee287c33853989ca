import { credentials } from '@grpc/grpc-js';
import { nanosToTimestamp } from '@message-bus/domain';
import { collector } from '@message-bus/proto';
import type { CqserverProcess } from './cqserver-process';

/** One WiFi sighting of `deviceId` at `detectorId`, at `millis` (unix ms), through the collector. */
export async function sendSighting(
  server: CqserverProcess,
  detectorId: string,
  deviceId: string,
  millis: number,
): Promise<void> {
  const client = new collector.CollectorServiceClient(
    `127.0.0.1:${server.ports.collector}`,
    credentials.createInsecure(),
  );
  const log = collector.EventLog.fromPartial({
    loc: { detectorId },
    events: [
      {
        time: [nanosToTimestamp(BigInt(millis) * 1_000_000n)],
        deviceId: { $case: 'wifi', value: deviceId },
      },
    ],
  });
  await new Promise<void>((done, fail) =>
    client.createEventLog(log, (error) => (error ? fail(error) : done())),
  );
  client.close();
}
