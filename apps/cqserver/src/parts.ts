import { collectorPart } from '@message-bus/collector';
import { createDashboardPart } from '@message-bus/dashboard';
import { queryPart } from '@message-bus/query';
import type { ServerPart } from '@message-bus/server-kit';
import { travelTimePart } from '@message-bus/traveltime';

/**
 * What cqserver runs, in order: the dashboard comes after query, because it reads this
 * process's own query port. `dashboardWebRoot` is where its built pages are (the build
 * copies them next to main.js: tools/build/bundle-app.mjs --assets).
 */
export function cqserverParts(dashboardWebRoot: string): readonly ServerPart[] {
  return [collectorPart, queryPart, travelTimePart, createDashboardPart({ webRoot: dashboardWebRoot })];
}
