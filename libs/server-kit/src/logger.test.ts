import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../test/echo-service';
import { createLogger } from './logger';

describe('createLogger', () => {
  it('writes one JSON object per line with name, level, ISO time and message', () => {
    const { logger, lines } = memoryLogger('collector');
    logger.info({ detectorId: 'det-1', count: 3 }, 'stored sightings');
    const [line] = lines();
    expect(line).toMatchObject({
      name: 'collector',
      level: 'info',
      detectorId: 'det-1',
      count: 3,
      msg: 'stored sightings',
    });
    expect(new Date(String(line?.['time'])).toISOString()).toBe(line?.['time']);
  });

  it('redacts device-identifier fields at the top level and one level down', () => {
    const { logger, lines } = memoryLogger();
    logger.warn(
      {
        deviceId: 'AA:BB:CC:00:00:01',
        event: {
          device_id: '001010123456789',
          wifi: 'AA:BB:CC:00:00:02',
          bluetooth: 'AA:BB:CC:00:00:03',
          mobile: '00101',
        },
        detectorId: 'det-7',
      },
      'rejected',
    );
    const [line] = lines();
    expect(line?.['level']).toBe('warn');
    expect(line?.['deviceId']).toBe('[redacted]');
    expect(line?.['event']).toEqual({
      device_id: '[redacted]',
      wifi: '[redacted]',
      bluetooth: '[redacted]',
      mobile: '[redacted]',
    });
    expect(line?.['detectorId']).toBe('det-7');
    expect(JSON.stringify(line)).not.toMatch(/AA:BB:CC|001010123456789|00101/);
  });

  it('drops lines below the level', () => {
    const chunks: string[] = [];
    const logger = createLogger({
      name: 'quiet',
      level: 'warn',
      destination: { write: (chunk) => chunks.push(chunk) },
    });
    logger.info('not written');
    logger.error('written');
    expect(chunks.map((chunk) => (JSON.parse(chunk) as { msg: string }).msg)).toEqual(['written']);
  });
});
