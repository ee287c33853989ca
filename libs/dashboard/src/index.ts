/**
 * @message-bus/dashboard: the web dashboard's HTTP server, backed by QueryService.
 *
 * Server   startDashboardServer({ address, query, loginToken, webRoot, ... }): the pages,
 *          the JSON API and server-sent events of @message-bus/dashboard-web's api.ts.
 * Part     createDashboardPart({ webRoot }): the dashboard inside a server app (cqserver).
 * App      runDashboardApp(spec, process): the standalone dashboard (apps/dashboard).
 * Options  dashboardPartOptions, dashboardAppOptions: one list, two sets of defaults.
 */
export {
  runDashboardApp,
  dashboardAppDeclarations,
  type DashboardAppSpec,
  type DashboardProcess,
} from './dashboard-app';
export {
  checkDashboardLogin,
  dashboardAppOptions,
  dashboardPartOptions,
  queryTlsFrom,
  type DashboardConfig,
} from './dashboard-options';
export { createDashboardPart, type DashboardPartOptions } from './dashboard-part';
export {
  securityHeadersFor,
  startDashboardServer,
  type DashboardServer,
  type DashboardServerOptions,
} from './dashboard-server';
export { createQueryClient, type QueryConnection, type QueryTls } from './query-connection';
export { DEFAULT_STREAM_TIMINGS, type StreamHubTimings } from './stream-hub';
