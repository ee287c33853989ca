import * as L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import type { CongestionLevel, DetectorView, EstimateView, LinkView, RouteView } from '../api';
import { h, setAttributes, swatch, type MountedPage } from '../dom';
import { estimateSummary, formatAge, formatHealth, healthState } from '../format';
import { linkKey, offsetSegment, parseLinkKey, type LatLng } from '../geometry';
import { LEVEL_COLOURS, levelColour } from '../levels';
import type { NetworkChange, NetworkState } from '../network-state';
import { linkHref, routeHref } from '../router';

const LINK_WEIGHT = 4;
const ROUTE_WEIGHT = 16;
const DETECTOR_FILL_HEALTHY = '#1e88e5';
const DETECTOR_FILL_PROBLEM = '#8e24aa';
/** Neutral: no check has said anything about it yet. */
const DETECTOR_FILL_UNCHECKED = '#78909c';

/** The subject a `#/map?link=A%3EB`, `?route=R` or `?detector=D` focuses. */
interface Focus {
  readonly link?: string;
  readonly route?: string;
  readonly detector?: string;
}

/**
 * The network map: routes (wide, translucent) under links under detectors, all paths of
 * one SVG renderer so each carries its data attributes. A stream event restyles only
 * its own path; a new snapshot (after a reconnect) redraws the layers.
 */
export function mountMap(container: HTMLElement, state: NetworkState, params: URLSearchParams): MountedPage {
  const element = h('div', { id: 'map', 'data-ready': 'false', role: 'region', 'aria-label': 'Network map' });
  container.append(element);
  const map = L.map(element, { preferCanvas: false, renderer: L.svg(), zoomSnap: 0.25 });
  map.setView([0, 0], 2);
  legend().addTo(map);
  const layers = new NetworkLayers(map);
  const focus: Focus = {
    link: params.get('link') ?? undefined,
    route: params.get('route') ?? undefined,
    detector: params.get('detector') ?? undefined,
  };
  let drawnOnce = false;

  const drawAll = (): void => {
    const snapshot = state.snapshot;
    if (!snapshot) return;
    layers.redraw(state);
    if (!drawnOnce) {
      drawnOnce = true;
      if (snapshot.tileUrl) {
        L.tileLayer(snapshot.tileUrl, { attribution: snapshot.tileAttribution ?? '' }).addTo(map);
      } else {
        element.classList.add('plain');
      }
      const bounds = layers.bounds();
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [40, 40], animate: false });
      layers.focus(focus);
      element.dataset['ready'] = 'true';
    }
  };

  const onChange = (change: NetworkChange): void => {
    if (change.type === 'snapshot') drawAll();
    else if (!drawnOnce) return;
    else if (change.type === 'link') layers.updateLink(state, linkKey(change.source, change.destination));
    else if (change.type === 'route') layers.updateRoute(state, change.name);
    else if (change.type === 'detectors') layers.updateDetectors(state);
  };
  const unsubscribe = state.subscribe(onChange);
  drawAll();
  return {
    unmount() {
      unsubscribe();
      map.remove();
    },
  };
}

/** The Leaflet layers of the network, by key, so an event finds its one path. */
class NetworkLayers {
  private readonly routes = new Map<string, L.Polyline>();
  private readonly links = new Map<string, L.Polyline>();
  private readonly detectors = new Map<string, L.CircleMarker>();
  /** Each drawn link's detector positions, to offset it again when the zoom changes. */
  private readonly linkEnds = new Map<string, readonly [LatLng, LatLng]>();
  private readonly group: L.FeatureGroup;

  constructor(private readonly map: L.Map) {
    this.group = L.featureGroup().addTo(map);
    // The offset is in pixels, so its distance on the ground changes with the zoom.
    map.on('zoomend', () => {
      for (const [key, [from, to]] of this.linkEnds) this.links.get(key)?.setLatLngs(this.offsetLine(from, to));
    });
  }

  redraw(state: NetworkState): void {
    this.group.clearLayers();
    this.routes.clear();
    this.links.clear();
    this.linkEnds.clear();
    this.detectors.clear();
    // Order is paint order in the one SVG: routes under links under detectors.
    for (const name of state.routes.keys()) this.updateRoute(state, name);
    for (const key of state.links.keys()) this.updateLink(state, key);
    for (const detector of state.detectors.values()) this.addDetector(detector);
  }

  bounds(): L.LatLngBounds {
    return L.latLngBounds([...this.detectors.values()].map((marker) => marker.getLatLng()));
  }

  updateLink(state: NetworkState, key: string): void {
    const link = state.links.get(key);
    if (!link) return;
    const existing = this.links.get(key);
    if (existing) {
      restyle(existing, link.latest, LINK_WEIGHT);
      existing.setTooltipContent(linkTooltip(link));
      return;
    }
    const from = position(state.detectors.get(link.source));
    const to = position(state.detectors.get(link.destination));
    if (!from || !to) return;
    const line = L.polyline(this.offsetLine(from, to), {
      color: levelColour(level(link.latest)),
      weight: LINK_WEIGHT,
      opacity: 0.95,
      className: 'link',
    });
    line.bindTooltip(linkTooltip(link), { sticky: true });
    line.on('click', () => window.location.assign(linkHref(link.source, link.destination)));
    this.group.addLayer(line);
    if (this.detectors.size > 0) {
      // A link that appears after the first drawing goes under the markers, over the routes.
      line.bringToBack();
      for (const route of this.routes.values()) route.bringToBack();
    }
    setAttributes(line.getElement()!, {
      'data-link-source': link.source,
      'data-link-destination': link.destination,
      'data-level': level(link.latest),
    });
    this.links.set(key, line);
    this.linkEnds.set(key, [from, to]);
  }

  updateRoute(state: NetworkState, name: string): void {
    const route = state.routes.get(name);
    if (!route) return;
    const existing = this.routes.get(name);
    if (existing) {
      restyle(existing, route.latest, ROUTE_WEIGHT);
      existing.setTooltipContent(routeTooltip(route));
      return;
    }
    const path = route.detectors
      .map((id) => position(state.detectors.get(id)))
      .filter((point) => point !== undefined);
    if (path.length < 2 || path.length < route.detectors.length) return;
    const line = L.polyline(path, {
      color: levelColour(level(route.latest)),
      weight: ROUTE_WEIGHT,
      opacity: 0.3,
      lineCap: 'round',
      lineJoin: 'round',
      className: 'route',
    });
    line.bindTooltip(routeTooltip(route), { sticky: true });
    line.on('click', () => window.location.assign(routeHref(route.name)));
    this.group.addLayer(line);
    line.bringToBack();
    setAttributes(line.getElement()!, { 'data-route': route.name, 'data-level': level(route.latest) });
    this.routes.set(name, line);
  }

  updateDetectors(state: NetworkState): void {
    for (const detector of state.detectors.values()) {
      const marker = this.detectors.get(detector.id);
      if (!marker) {
        this.addDetector(detector);
        continue;
      }
      marker.setStyle({ fillColor: detectorFill(detector) });
      marker.setTooltipContent(detectorTooltip(detector));
      setAttributes(marker.getElement()!, { 'data-health': formatHealth(detector) });
    }
  }

  focus(focus: Focus): void {
    const linkTarget = focus.link === undefined ? undefined : parseLinkKey(focus.link);
    const layer = linkTarget
      ? this.links.get(linkKey(linkTarget.source, linkTarget.destination))
      : focus.route !== undefined
        ? this.routes.get(focus.route)
        : focus.detector !== undefined
          ? this.detectors.get(focus.detector)
          : undefined;
    if (!layer) return;
    layer.getElement()?.classList.add('focused');
    if (layer instanceof L.CircleMarker) {
      this.map.setView(layer.getLatLng(), Math.max(this.map.getZoom(), 15), { animate: false });
    } else {
      this.map.fitBounds(layer.getBounds(), { padding: [80, 80], maxZoom: 16, animate: false });
    }
    layer.openTooltip();
  }

  /** The line from `from` to `to` moved to the right of its direction by a few pixels at this zoom. */
  private offsetLine(from: LatLng, to: LatLng): L.LatLng[] {
    const zoom = this.map.getZoom();
    return offsetSegment(this.map.project(from, zoom), this.map.project(to, zoom)).map((point) =>
      this.map.unproject([point.x, point.y], zoom),
    );
  }

  private addDetector(detector: DetectorView): void {
    const at = position(detector);
    if (!at) return;
    const marker = L.circleMarker(at, {
      radius: 7,
      color: '#ffffff',
      weight: 2,
      fillColor: detectorFill(detector),
      fillOpacity: 1,
      className: 'detector',
    });
    marker.bindTooltip(detectorTooltip(detector));
    this.group.addLayer(marker);
    setAttributes(marker.getElement()!, {
      'data-detector': detector.id,
      'data-health': formatHealth(detector),
    });
    this.detectors.set(detector.id, marker);
  }
}

function level(estimate: EstimateView | undefined): CongestionLevel {
  return estimate?.level ?? 'unknown';
}

function restyle(line: L.Polyline, estimate: EstimateView | undefined, weight: number): void {
  line.setStyle({ color: levelColour(level(estimate)), weight });
  line.getElement()?.setAttribute('data-level', level(estimate));
}

function position(detector: DetectorView | undefined): LatLng | undefined {
  if (detector?.latitude === undefined || detector.longitude === undefined) return undefined;
  return [detector.latitude, detector.longitude];
}

function detectorFill(detector: DetectorView): string {
  return { ok: DETECTOR_FILL_HEALTHY, problems: DETECTOR_FILL_PROBLEM, unchecked: DETECTOR_FILL_UNCHECKED }[
    healthState(detector)
  ];
}

function linkTooltip(link: LinkView): HTMLElement {
  const name = `${link.source} → ${link.destination}`;
  return h('div', {}, h('strong', {}, name), h('br'), estimateSummary(link.latest));
}

function routeTooltip(route: RouteView): HTMLElement {
  return h('div', {}, h('strong', {}, `route ${route.name}`), h('br'), estimateSummary(route.latest));
}

function detectorTooltip(detector: DetectorView): HTMLElement {
  return h(
    'div',
    {},
    h('strong', {}, detector.id),
    h('br'),
    `last seen ${formatAge(detector.lastSeen, Date.now())}`,
    h('br'),
    `health: ${formatHealth(detector)}`,
  );
}

function legend(): L.Control {
  const control = new L.Control({ position: 'bottomright' });
  control.onAdd = () =>
    h(
      'div',
      { class: 'legend' },
      ...(Object.keys(LEVEL_COLOURS) as CongestionLevel[]).map((name) =>
        h('div', {}, swatch(levelColour(name)), name),
      ),
    );
  return control;
}
