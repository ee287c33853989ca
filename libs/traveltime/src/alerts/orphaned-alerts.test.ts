import { alertId, parseRouteName, type Alert } from '@message-bus/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertWork, linksByDestination } from '../../test/alert-work';
import { d1, d2, d3, MINUTE, openCorridor, T0, type Corridor } from '../../test/corridor';

let corridor: Corridor;
beforeEach(async () => {
  corridor = await openCorridor();
});
afterEach(async () => {
  await corridor.close();
});

const north = parseRouteName('north');

function openCongestion(subject: Alert['subject']): Alert {
  return {
    id: alertId('congestion', subject, T0),
    kind: 'congestion',
    severity: 'warning',
    subject,
    start: T0,
    updated: T0,
    evidence: 'Travel time is 1.7× typical.',
    figures: { ratio_to_typical: 1.7 },
  };
}

describe('alerts of deleted links and routes', () => {
  it('are cleared by the worker running the detector checks; the others stay open', async () => {
    const { repository } = corridor;
    await repository.routes.put({ name: north, detectorIds: [d1, d2, d3] });
    const routeAlert = openCongestion({ kind: 'route', route: north });
    const keptLink = openCongestion({ kind: 'link', source: d1, destination: d2 });
    const deletedLink = openCongestion({ kind: 'link', source: d2, destination: d3 });
    await repository.alerts.put([routeAlert, keptLink, deletedLink]);
    await repository.routes.delete(north);
    await repository.links.delete(d3, d2);

    const now = T0 + 30n * MINUTE;
    await alertWork(repository).afterRound({
      now,
      lastDue: now,
      held: [],
      linksByDestination: linksByDestination(await repository.links.list()),
      checksDetectors: true,
    });

    const stored = await repository.alerts.list({ kinds: ['congestion'] });
    const byId = new Map(stored.map((alert) => [alert.id, alert]));
    expect(byId.get(keptLink.id)).toEqual(keptLink);
    expect(byId.get(routeAlert.id)).toEqual({
      ...routeAlert,
      end: now,
      updated: now,
      evidence: 'Travel time is 1.7× typical. Cleared: the route was deleted.',
    });
    expect(byId.get(deletedLink.id)).toMatchObject({
      end: now,
      evidence: 'Travel time is 1.7× typical. Cleared: the link was deleted.',
    });
  });
});
