/**
 * The HTTP API between the dashboard's server (`@message-bus/dashboard`) and its pages.
 * The server builds these shapes from QueryService answers; the pages read nothing else.
 * Times are ISO-8601 strings (UTC, `2026-12-07T10:15:00.000Z`); durations are seconds.
 * No shape here ever carries a device id.
 *
 * Routes (all JSON unless said; every route but `/healthz` and `/login` needs the session
 * cookie when the server has a login token, else answers 401 (API) or 303 to `/login` (pages)):
 *
 *   GET  /healthz                      200 `ok`: the HTTP server runs (no auth, for probes)
 *   GET  /login                        the login page (a form posting `token`)
 *   POST /login                        form `token=...`: right token → 303 to `/` with the
 *                                      session cookie; wrong → 401 and the page again
 *   POST /logout                       ends the session, 303 to `/login`
 *   GET  /api/network                  NetworkSnapshot: everything the first screen needs
 *   GET  /api/stream                   text/event-stream of StreamEvent (see below)
 *   GET  /api/series?source=&destination=&after=&before=
 *   GET  /api/series?route=&after=&before=
 *                                      Series of one link or route; `after`/`before` ISO,
 *                                      default the last 3 hours
 *   GET  /api/series.csv?...           the same series as CSV (same query), a download
 *   GET  /api/alerts?kind=&min_severity=&open_only=&after=&before=
 *                                      { alerts: AlertView[] }, newest first
 *   GET  /api/detectors                { detectors: DetectorView[] }
 *   GET  /api/detectors/:id/sightings?minutes=60
 *                                      DetectorSightings: counts per 5-minute bin
 *   GET  /, /assets/*                  the built pages
 *
 * Bad parameters answer 400 `{ error: "<one line naming the parameter>" }`; a query
 * service that cannot be reached answers 503 `{ error }`.
 */

/** The congestion level the query service gives an estimate (`CongestionLevel`). */
export type CongestionLevel = 'free' | 'moderate' | 'heavy' | 'severe' | 'unknown';

/** `EstimateStatus`, lower-cased without its prefix. */
export type EstimateStatus =
  | 'ok'
  | 'insufficient_data'
  | 'stale'
  | 'no_samples'
  | 'all_rejected'
  | 'unspecified';

/** `AlertKind`, lower-cased without its prefix. */
export type AlertKind =
  | 'congestion'
  | 'detector_silent'
  | 'battery_low'
  | 'clock_skew'
  | 'never_matches'
  | 'unspecified';

/** `AlertSeverity`, lower-cased without its prefix. */
export type AlertSeverity = 'info' | 'warning' | 'critical' | 'unspecified';

/** One travel-time interval of a link or route (`TravelTimeEstimate`). */
export interface EstimateView {
  readonly intervalEnd: string;
  readonly windowSeconds: number;
  readonly medianSeconds?: number;
  readonly p15Seconds?: number;
  readonly p85Seconds?: number;
  readonly validSamples: number;
  readonly totalSamples: number;
  readonly status: EstimateStatus;
  readonly level: CongestionLevel;
  readonly typicalSeconds?: number;
  readonly freeFlowSeconds?: number;
  readonly ratioToTypical?: number;
  readonly speedKmh?: number;
}

export interface LinkView {
  readonly source: string;
  readonly destination: string;
  readonly maxSeconds: number;
  /** The newest estimate (GetLatestTravelTimes); absent before the first. */
  readonly latest?: EstimateView;
}

export interface RouteView {
  readonly name: string;
  /** Its detectors in driving order. */
  readonly detectors: readonly string[];
  readonly latest?: EstimateView;
}

export interface DetectorView {
  readonly id: string;
  /** Degrees; both absent when the detector has no coordinates. */
  readonly latitude?: number;
  readonly longitude?: number;
  readonly lastSeen?: string;
  readonly batteryVolts?: number;
  readonly clockSkewSeconds?: number;
  /** Open health problems (`DetectorHealth.problems`); empty: healthy, once checked. */
  readonly problems: readonly AlertKind[];
  /** When the worker last checked its health (`DetectorHealth.checked_at`); absent: not checked yet. */
  readonly checkedAt?: string;
  /** Sum of the latest status report's detection counts; absent without a report. */
  readonly detectionCount?: number;
}

export interface AlertSubject {
  readonly link?: { readonly source: string; readonly destination: string };
  readonly route?: string;
  readonly detector?: string;
}

export interface AlertView {
  readonly id: string;
  readonly kind: AlertKind;
  readonly severity: AlertSeverity;
  readonly start: string;
  /** Absent while open. */
  readonly end?: string;
  readonly updated?: string;
  readonly subject: AlertSubject;
  readonly evidence: string;
  readonly figures: Readonly<Record<string, number>>;
}

/** `GET /api/network`: the whole first screen in one answer. */
export interface NetworkSnapshot {
  readonly generatedAt: string;
  /** The server requires a login (it has a `dashboard_token`): only then can one log out. */
  readonly login: boolean;
  /** Leaflet tile URL template; absent: links on a plain background. */
  readonly tileUrl?: string;
  readonly tileAttribution?: string;
  readonly detectors: readonly DetectorView[];
  readonly links: readonly LinkView[];
  readonly routes: readonly RouteView[];
  /** The open alerts. */
  readonly alerts: readonly AlertView[];
}

/** The usual travel time for one instant of a series: this weekday's typical bin. */
export interface TypicalPoint {
  readonly time: string;
  readonly medianSeconds?: number;
  readonly p15Seconds?: number;
  readonly p85Seconds?: number;
}

/** `GET /api/series`: one link's or route's estimates (as GetTravelTimes returns them) and its usual band. */
export interface Series {
  readonly target: { readonly link?: { readonly source: string; readonly destination: string }; readonly route?: string };
  readonly after: string;
  readonly before: string;
  /** Oldest first, exactly the estimates GetTravelTimes returns for the range. */
  readonly estimates: readonly EstimateView[];
  /** One point per estimate's intervalEnd; empty when no typical profile exists yet. */
  readonly typical: readonly TypicalPoint[];
}

export interface DetectorSightings {
  readonly detectorId: string;
  readonly binSeconds: number;
  readonly bins: readonly { readonly start: string; readonly count: number }[];
  /** The count stopped at the server's limit (GetEvents keeps the newest sightings): the oldest bins may be short. */
  readonly truncated: boolean;
}

/**
 * One message of `GET /api/stream` (the SSE `event:` field is the `type`, `data:` the JSON).
 * The server keeps one upstream stream per kind for all browsers; on reconnect a page
 * reads `/api/network` again.
 */
export type StreamEvent =
  | { readonly type: 'link'; readonly source: string; readonly destination: string; readonly estimate: EstimateView }
  | { readonly type: 'route'; readonly name: string; readonly estimate: EstimateView }
  | { readonly type: 'alert'; readonly alert: AlertView }
  | { readonly type: 'detectors'; readonly detectors: readonly DetectorView[] };
