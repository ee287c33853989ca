import type { AlertView, DetectorSightings, NetworkSnapshot, Series } from './api';

/** An API answer that was not 2xx, with the server's one-line reason when it gave one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (response.status === 401) {
    // The session ended (or never began): the login page is the only way on.
    window.location.assign('/login');
    throw new ApiError(401, 'not logged in');
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => undefined)) as { error?: string } | undefined;
    throw new ApiError(response.status, body?.error ?? `${path}: HTTP ${response.status}`);
  }
  return (await response.json()) as T;
}

export function fetchNetwork(): Promise<NetworkSnapshot> {
  return getJson<NetworkSnapshot>('/api/network');
}

/** `query` as built by `seriesQuery`. */
export function fetchSeries(query: string): Promise<Series> {
  return getJson<Series>(`/api/series?${query}`);
}

export async function fetchAlerts(afterMs: number): Promise<AlertView[]> {
  const query = new URLSearchParams({ after: new Date(afterMs).toISOString() });
  const answer = await getJson<{ alerts: AlertView[] }>(`/api/alerts?${query.toString()}`);
  return answer.alerts;
}

export function fetchSightings(detectorId: string, minutes: number): Promise<DetectorSightings> {
  return getJson<DetectorSightings>(
    `/api/detectors/${encodeURIComponent(detectorId)}/sightings?minutes=${minutes}`,
  );
}
