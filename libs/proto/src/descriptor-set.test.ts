import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { FILE_DESCRIPTOR_SET_BASE64 } from './index';

describe('the embedded descriptor set (served by gRPC reflection)', () => {
  it('describes both services and their methods', () => {
    const definition = loadFileDescriptorSetFromBuffer(Buffer.from(FILE_DESCRIPTOR_SET_BASE64, 'base64'));
    expect(Object.keys(definition['collector.CollectorService'] ?? {}).sort()).toEqual([
      'CreateCoordinates',
      'CreateDetectorLink',
      'CreateDetectorStatus',
      'CreateEventLog',
      'CreateRoute',
      'DeleteDetectorLink',
      'DeleteRoute',
      'StreamEventLog',
    ]);
    expect(Object.keys(definition['query.QueryService'] ?? {})).toEqual(
      expect.arrayContaining([
        'GetEvents',
        'StreamEvents',
        'GetBatteryVoltage',
        'ListRoutes',
        'StreamAlerts',
      ]),
    );
    expect(definition['google.protobuf.Timestamp']).toBeDefined();
  });
});
