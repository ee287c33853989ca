import { collapsePasses, DEFAULT_ESTIMATOR_CONFIG, matchPasses } from '@message-bus/domain';
import { NANOS_PER_SECOND } from '@message-bus/domain';
import type { Trial } from '../measure';
import { STEP_SECONDS, type EstimatorUnderTest, type SimulatedSpan } from './workload';

/**
 * The distinct travel-time samples in the span: each link's passes over the whole span
 * matched once, as the estimator matches them. The input size of a throughput run.
 */
export function matchedSamples(span: SimulatedSpan): number {
  const end = span.start + BigInt(span.durationSeconds) * NANOS_PER_SECOND;
  const { passGapSeconds, measure } = DEFAULT_ESTIMATOR_CONFIG;
  let total = 0;
  for (const link of span.simulation.truth.links) {
    const source = collapsePasses(span.index.between(link.source, span.start, end), passGapSeconds);
    const destination = collapsePasses(span.index.between(link.destination, span.start, end), passGapSeconds);
    total += matchPasses(source, destination, { maxSeconds: link.maxSeconds, measure }).length;
  }
  return total;
}

/**
 * One round: the estimate of every link every minute of the span, as the worker would
 * compute them, each from the sightings of its lookback (two binary searches, timed too).
 */
export function estimateEverything(id: string, span: SimulatedSpan, estimator: EstimatorUnderTest): Trial {
  return {
    id,
    prepare: async () => async () => {
      for (const link of span.simulation.truth.links) {
        for (let offset = STEP_SECONDS; offset <= span.durationSeconds; offset += STEP_SECONDS) {
          const intervalEnd = span.start + BigInt(offset) * NANOS_PER_SECOND;
          estimator.estimate(span.index.linkInput(link, intervalEnd));
        }
      }
    },
  };
}
