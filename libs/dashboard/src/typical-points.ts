import type { EstimateView, TypicalPoint } from '@message-bus/dashboard-web';
import { TimeOfWeekBins } from '@message-bus/domain';
import type { query } from '@message-bus/proto';

const NANOS_PER_MILLI = 1_000_000n;

/**
 * The usual travel time at each estimate of a series: the profile's bin of the week
 * that holds the estimate's interval end, in the profile's time zone (as the travel-time
 * worker bins them, through the domain's TimeOfWeekBins). Empty without a profile; a
 * point without figures where its bin had no data.
 */
export function typicalPoints(
  profile: query.TypicalProfile | undefined,
  estimates: readonly EstimateView[],
): TypicalPoint[] {
  if (profile === undefined || profile.bins.length === 0) return [];
  let weekBins: TimeOfWeekBins;
  try {
    weekBins = new TimeOfWeekBins(profile.timeZone || undefined, profile.binMinutes);
  } catch {
    // A profile this server cannot bin (an unknown zone, an odd bin size): no band, not an error.
    return [];
  }
  const bins = new Map(profile.bins.map((bin) => [`${bin.dayOfWeek}/${bin.minuteOfDay}`, bin]));
  return estimates.map((estimate) => {
    const { dayOfWeek, minuteOfDay } = weekBins.binAt(
      BigInt(Date.parse(estimate.intervalEnd)) * NANOS_PER_MILLI,
    );
    const bin = bins.get(`${dayOfWeek}/${minuteOfDay}`);
    return {
      time: estimate.intervalEnd,
      ...(bin?.medianSeconds === undefined ? {} : { medianSeconds: bin.medianSeconds }),
      ...(bin?.p15Seconds === undefined ? {} : { p15Seconds: bin.p15Seconds }),
      ...(bin?.p85Seconds === undefined ? {} : { p85Seconds: bin.p85Seconds }),
    };
  });
}
