import type { AlertView, DetectorView, LinkView, NetworkSnapshot, RouteView, StreamEvent } from './api';
import { linkKey } from './geometry';

/** What changed in the network state: a whole new snapshot, or one stream event applied. */
export type NetworkChange = { readonly type: 'snapshot' } | StreamEvent;

export type NetworkListener = (change: NetworkChange) => void;

/**
 * The live picture of the network every page reads: the last `/api/network` snapshot
 * with the stream's events applied on top. One instance, made in main.
 */
export class NetworkState {
  snapshot: NetworkSnapshot | undefined;
  readonly links = new Map<string, LinkView>();
  readonly routes = new Map<string, RouteView>();
  readonly detectors = new Map<string, DetectorView>();
  /** Every alert seen since the page loaded, by id (the snapshot's open ones and the stream's). */
  readonly alerts = new Map<string, AlertView>();
  private readonly listeners = new Set<NetworkListener>();

  /** Calls `listener` on every change from now on; the returned function stops that. */
  subscribe(listener: NetworkListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  loadSnapshot(snapshot: NetworkSnapshot): void {
    this.snapshot = snapshot;
    this.links.clear();
    for (const link of snapshot.links) this.links.set(linkKey(link.source, link.destination), link);
    this.routes.clear();
    for (const route of snapshot.routes) this.routes.set(route.name, route);
    this.replaceDetectors(snapshot.detectors);
    // Alerts closed while the stream was down are no longer in the snapshot's open list.
    for (const [id, alert] of this.alerts) if (alert.end === undefined) this.alerts.delete(id);
    for (const alert of snapshot.alerts) this.alerts.set(alert.id, alert);
    this.emit({ type: 'snapshot' });
  }

  apply(event: StreamEvent): void {
    switch (event.type) {
      case 'link': {
        const key = linkKey(event.source, event.destination);
        const link = this.links.get(key);
        this.links.set(key, {
          source: event.source,
          destination: event.destination,
          maxSeconds: link?.maxSeconds ?? 0,
          latest: event.estimate,
        });
        break;
      }
      case 'route': {
        const route = this.routes.get(event.name);
        const detectors = route?.detectors ?? [];
        this.routes.set(event.name, { name: event.name, detectors, latest: event.estimate });
        break;
      }
      case 'alert':
        this.alerts.set(event.alert.id, event.alert);
        break;
      case 'detectors':
        this.replaceDetectors(event.detectors);
        break;
    }
    this.emit(event);
  }

  private replaceDetectors(detectors: readonly DetectorView[]): void {
    this.detectors.clear();
    for (const detector of detectors) this.detectors.set(detector.id, detector);
  }

  private emit(change: NetworkChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
