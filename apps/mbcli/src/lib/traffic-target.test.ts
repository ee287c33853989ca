import { describe, expect, it } from 'vitest';
import { describeTarget, resolveTargetFlags, wireTarget } from './traffic-target';

const noListing = async () => {
  throw new Error('the links were read although the flag had one reading');
};

describe('resolveTargetFlags', () => {
  it('reads --route as a route and --link as a link, listing links only for an ambiguous --link', async () => {
    const route = await resolveTargetFlags({ route: 'east' }, noListing);
    expect(route).toEqual({ route: 'east' });
    expect(wireTarget(route)).toEqual({ target: { $case: 'route', value: 'east' } });
    expect(describeTarget(route)).toBe('route east');

    const link = await resolveTargetFlags({ link: 'a1:b1' }, noListing);
    expect(wireTarget(link)).toEqual({
      target: { $case: 'link', value: { sourceDetectorId: 'a1', destDetectorId: 'b1' } },
    });
    expect(describeTarget(link)).toBe('link a1 → b1');

    const listed = await resolveTargetFlags({ link: 'r:1:b1' }, async () => [
      { source: 'r:1', destination: 'b1' },
    ]);
    expect(listed).toEqual({ link: { source: 'r:1', destination: 'b1' } });
  });

  it('wants exactly one of them, and a route name that is not empty', async () => {
    await expect(resolveTargetFlags({}, noListing)).rejects.toThrow(
      'give one of --link SOURCE:DESTINATION and --route NAME',
    );
    await expect(resolveTargetFlags({ link: 'a1:b1', route: 'east' }, noListing)).rejects.toThrow(
      'give one of --link SOURCE:DESTINATION and --route NAME',
    );
    await expect(resolveTargetFlags({ route: ' ' }, noListing)).rejects.toThrow(
      '--route is empty; give a route name, see `mbcli routes list`',
    );
    await expect(resolveTargetFlags({ link: 'a1' }, noListing)).rejects.toThrow(
      '--link "a1" is not a link; give SOURCE:DESTINATION, e.g. a1:b1',
    );
  });
});
