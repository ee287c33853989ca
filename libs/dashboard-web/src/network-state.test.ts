import { describe, expect, it } from 'vitest';
import type { AlertView, EstimateView, NetworkSnapshot } from './api';
import { NetworkState, type NetworkChange } from './network-state';

function estimate(level: EstimateView['level']): EstimateView {
  return {
    intervalEnd: '2026-12-07T10:15:00.000Z',
    windowSeconds: 300,
    medianSeconds: 100,
    validSamples: 10,
    totalSamples: 10,
    status: 'ok',
    level,
  };
}

function alert(id: string, end?: string): AlertView {
  return {
    id,
    kind: 'congestion',
    severity: 'warning',
    start: '2026-12-07T10:00:00.000Z',
    ...(end === undefined ? {} : { end }),
    subject: { route: 'R' },
    evidence: '',
    figures: {},
  };
}

function snapshot(fields: Partial<NetworkSnapshot> = {}): NetworkSnapshot {
  return {
    generatedAt: '2026-12-07T10:15:00.000Z',
    login: false,
    detectors: [{ id: 'A', problems: [] }, { id: 'B', problems: [] }],
    links: [{ source: 'A', destination: 'B', maxSeconds: 600, latest: estimate('free') }],
    routes: [{ name: 'R', detectors: ['A', 'B'] }],
    alerts: [alert('open-1')],
    ...fields,
  };
}

describe('NetworkState', () => {
  it('applies stream events on the snapshot and tells its listeners', () => {
    const state = new NetworkState();
    const changes: NetworkChange['type'][] = [];
    const unsubscribe = state.subscribe((change) => changes.push(change.type));
    state.loadSnapshot(snapshot());
    state.apply({ type: 'link', source: 'A', destination: 'B', estimate: estimate('severe') });
    state.apply({ type: 'route', name: 'R', estimate: estimate('heavy') });
    state.apply({ type: 'alert', alert: alert('open-1', '2026-12-07T10:20:00.000Z') });
    state.apply({ type: 'detectors', detectors: [{ id: 'A', problems: ['battery_low'] }] });

    expect(state.links.get('A>B')).toEqual({
      source: 'A',
      destination: 'B',
      maxSeconds: 600,
      latest: estimate('severe'),
    });
    expect(state.routes.get('R')).toEqual({ name: 'R', detectors: ['A', 'B'], latest: estimate('heavy') });
    expect(state.alerts.get('open-1')?.end).toBe('2026-12-07T10:20:00.000Z');
    expect([...state.detectors.keys()]).toEqual(['A']);
    expect(changes).toEqual(['snapshot', 'link', 'route', 'alert', 'detectors']);

    unsubscribe();
    state.apply({ type: 'link', source: 'B', destination: 'A', estimate: estimate('free') });
    expect(changes).toHaveLength(5);
    // A link the snapshot did not have joins the state.
    expect(state.links.get('B>A')?.latest?.level).toBe('free');
  });

  it('on a new snapshot drops open alerts it no longer lists and keeps closed ones', () => {
    const state = new NetworkState();
    state.loadSnapshot(snapshot({ alerts: [alert('open-1'), alert('open-2')] }));
    state.apply({ type: 'alert', alert: alert('open-2', '2026-12-07T10:20:00.000Z') });
    // open-1 closed while the stream was down: the next snapshot no longer lists it.
    state.loadSnapshot(snapshot({ alerts: [alert('open-3')] }));
    expect([...state.alerts.keys()].sort()).toEqual(['open-2', 'open-3']);
  });
});
