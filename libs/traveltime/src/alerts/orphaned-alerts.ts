import {
  alertSubjectKey,
  trafficTargetKey,
  type Alert,
  type AlertChange,
  type DetectorLink,
  type Route,
  type UnixNanos,
} from '@message-bus/domain';

/**
 * Clearings of the open congestion alerts whose link or route no longer exists. Nothing
 * judges a deleted target again, so without this its alert would stay open for ever (and
 * count in `message_bus_alerts_open`). The clearing ends it at `now`, keeps its severity and figures,
 * and says why in the evidence. Detector alerts are not swept: a detector cannot be
 * deleted (its coordinates can only be replaced).
 */
export function orphanedAlertClearings(
  open: readonly Alert[],
  existing: { readonly links: readonly DetectorLink[]; readonly routes: readonly Route[] },
  now: UnixNanos,
): AlertChange[] {
  const targets = new Set([
    ...existing.links.map(({ source, destination }) =>
      trafficTargetKey({ kind: 'link', source, destination }),
    ),
    ...existing.routes.map(({ name }) => trafficTargetKey({ kind: 'route', route: name })),
  ]);
  return open
    .filter(
      (alert) =>
        alert.kind === 'congestion' &&
        alert.end === undefined &&
        alert.subject.kind !== 'detector' &&
        !targets.has(alertSubjectKey(alert.subject)),
    )
    .map((alert) => ({
      change: 'cleared',
      alert: {
        ...alert,
        end: now,
        updated: now,
        evidence: `${alert.evidence} Cleared: the ${alert.subject.kind} was deleted.`,
      },
    }));
}
