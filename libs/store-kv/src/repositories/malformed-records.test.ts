import { describe, expect, it } from 'vitest';
import { MalformedRecords } from './malformed-records';

describe('MalformedRecords', () => {
  it('counts every skip and hands the handler the key without its device part', () => {
    const seen: [string, string][] = [];
    const records = new MalformedRecords('/tdc/detectors/', (key, reason) => seen.push([key, reason]));
    records.skip('/tdc/detectors/det-1/1563568100/01DG5YTP9ZEQFBTVS2PTNAAT4C.raw-mac', 'bad value');
    records.skip('/tdc/detectors/det-1/garbage-maybe-a-device', 'bad key');
    records.skip('/tdc/links/a/b', 'bad link');
    expect(records.count).toBe(3);
    expect(seen).toEqual([
      ['/tdc/detectors/det-1/1563568100/…', 'bad value'],
      ['/tdc/detectors/det-1/…', 'bad key'],
      ['/tdc/links/a/b', 'bad link'],
    ]);
  });

  it('still counts when the handler throws', () => {
    const records = new MalformedRecords('/tdc/detectors/', () => {
      throw new Error('logger down');
    });
    records.skip('/tdc/links/a/b', 'bad link');
    expect(records.count).toBe(1);
  });
});
