import type { TrafficTarget } from '@message-bus/domain';
import { describeTarget } from './traffic-arguments';

/**
 * The target has no typical profile yet (the workers compute one once its estimates
 * span enough time); GetTypicalProfile answers NOT_FOUND.
 */
export class NoTypicalProfileError extends Error {
  override readonly name = 'NoTypicalProfileError';

  constructor(readonly target: TrafficTarget) {
    super(
      `target: ${describeTarget(target)} has no typical profile yet; the travel-time workers compute one ` +
        'from its stored estimates, so ask again once it has estimates over several days',
    );
  }
}
