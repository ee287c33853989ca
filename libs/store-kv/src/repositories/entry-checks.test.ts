import type { DetectorId } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { describe, expect, it } from 'vitest';
import type { KvBackend } from '../kv-backend';
import { KvRepository } from './kv-repository';

/** A backend that fails any read or write: a query refused at the repository's entry never reaches it. */
function unreachableBackend(): KvBackend {
  const reached = (): never => {
    throw new Error('the backend was reached');
  };
  return {
    put: reached,
    get: reached,
    scan: reached,
    scanPages: reached,
    compareAndSet: reached,
    deleteRange: reached,
    watch: reached,
    health: reached,
    close: async () => undefined,
  };
}

const repository = new KvRepository(unreachableBackend(), { prefix: 'tdc' });
const slashed = 'a/b' as DetectorId;
const refusal = (message: string) => new StoreInvalidArgumentError(message);
const slashedProblem = `"a/b" has U+002F '/' at character 2; allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'`;

describe('the repository checks query ids once, at its entry, before the backend', () => {
  it('refuses events of an id that cannot be a key', () => {
    expect(() => repository.events.listPages({ detectorIds: [slashed] })).toThrow(
      refusal(`detectorIds[0]: ${slashedProblem}`),
    );
  });

  it('refuses the links and recompute ranges of such a destination', async () => {
    await expect(repository.links.list(slashed)).rejects.toThrow(refusal(`destination: ${slashedProblem}`));
    await expect(repository.recompute.pending(slashed)).rejects.toThrow(
      refusal(`destination: ${slashedProblem}`),
    );
  });

  it('refuses estimates of a link naming such an id, even for an empty window', async () => {
    const links = [{ destination: 'x' as DetectorId, source: slashed }];
    const empty = { after: 5n, before: 5n };
    await expect(repository.travelTimes.list({ links, range: empty })).rejects.toThrow(
      refusal(`links[0].source: ${slashedProblem}`),
    );
    await expect(repository.travelTimes.latest(links)).rejects.toThrow(
      refusal(`links[0].source: ${slashedProblem}`),
    );
  });
});
