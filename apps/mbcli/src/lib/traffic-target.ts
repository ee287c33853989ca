import type { query } from '@message-bus/proto';
import { Flags } from '@oclif/core';
import { chooseListedReading, linkFlagReadings, type LinkEnds } from './chart/travel-time-chart-link';
import { instantFlag } from './flags/instant-flag';
import { InputError } from './input-error';

/** `--link` or `--route` (exactly one), `--after` (required) and `--before`: the flags of a chart or figure over a range. */
export const targetAndRangeFlags = {
  link: Flags.string({
    description: 'the link as SOURCE:DESTINATION detector ids',
    exactlyOne: ['link', 'route'],
  }),
  route: Flags.string({ description: 'the route, by name', exactlyOne: ['link', 'route'] }),
  after: instantFlag({
    description: 'start of the range (RFC 3339, Unix seconds or -1h), inclusive',
    required: true,
  }),
  before: instantFlag({
    description: 'end of the range (RFC 3339, Unix seconds or -1h), exclusive; default now',
  }),
};

/** One link or one route, as `--link SOURCE:DESTINATION` or `--route NAME` named it. */
export type TargetFlag = { readonly link: LinkEnds } | { readonly route: string };

/**
 * The target of exactly one of `--link` and `--route`. A `--link` with several readings
 * (ids may contain `:`) is matched against the listed links, read only when needed.
 */
export async function resolveTargetFlags(
  flags: { readonly link?: string | undefined; readonly route?: string | undefined },
  listedLinks: () => Promise<readonly LinkEnds[]>,
): Promise<TargetFlag> {
  if ((flags.link === undefined) === (flags.route === undefined)) {
    throw new InputError('give one of --link SOURCE:DESTINATION and --route NAME');
  }
  if (flags.route !== undefined) {
    if (flags.route.trim() === '')
      throw new InputError('--route is empty; give a route name, see `mbcli routes list`');
    return { route: flags.route };
  }
  const readings = linkFlagReadings(flags.link!);
  if (readings.length === 1) return { link: readings[0]! };
  return { link: chooseListedReading(flags.link!, readings, await listedLinks()) };
}

export function wireTarget(target: TargetFlag): query.TrafficTarget {
  return 'route' in target
    ? { target: { $case: 'route', value: target.route } }
    : {
        target: {
          $case: 'link',
          value: { sourceDetectorId: target.link.source, destDetectorId: target.link.destination },
        },
      };
}

/** What a heading says: `route east` or `link a1 → b1`. */
export function describeTarget(target: TargetFlag): string {
  return 'route' in target
    ? `route ${target.route}`
    : `link ${target.link.source} → ${target.link.destination}`;
}
