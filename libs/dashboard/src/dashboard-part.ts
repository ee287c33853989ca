import { ConfigError, defineServerPart, listening } from '@message-bus/server-kit';
import { readFileSync } from 'node:fs';
import { checkDashboardLogin, dashboardPartOptions, queryTlsFrom } from './dashboard-options';
import { startDashboardServer, type DashboardServer } from './dashboard-server';
import { createQueryClient, type QueryConnection } from './query-connection';

export interface DashboardPartOptions {
  /** The built pages, e.g. `join(__dirname, 'dashboard-web')` next to a bundled main.js. */
  readonly webRoot: string;
}

/**
 * The web dashboard as a part of a server process (cqserver): with `dashboard_port` set,
 * its HTTP server starts after the query part, reading this process's query port (with
 * that port's own token) unless `dashboard_query_address` names another. It serves no gRPC; it listens itself, in
 * `start`, so an address in use stops the process like any other port, and it closes
 * before the gRPC ports drain (its streams would otherwise hold the query port open).
 */
export function createDashboardPart(partOptions: DashboardPartOptions) {
  return defineServerPart({
    name: 'dashboard',
    options: dashboardPartOptions,
    prepare(config) {
      checkDashboardLogin(config);
      const address = config.dashboard_port;
      const tls = queryTlsFrom(config, (path) => readFileSync(path));
      return {
        async start(host) {
          if (address === undefined) return {};
          let connection: QueryConnection;
          if (config.dashboard_query_address !== undefined) {
            connection = {
              address: config.dashboard_query_address,
              token: config.dashboard_query_token,
              tls,
            };
          } else {
            const query = host.localService('query');
            if (query === undefined) {
              throw new ConfigError(
                '--dashboard_query_address: required, this process serves no query service',
                { option: 'dashboard_query_address' },
              );
            }
            // This process's own query port: its token is known here, so an operator sets
            // only the login; a protected query service is never shown without one.
            const ownToken = query.tokens[0];
            if (ownToken !== undefined && config.dashboard_token === undefined) {
              throw new ConfigError(
                '--dashboard_token: required when the query service needs a token (query_token): the dashboard would otherwise show it to anyone',
                { option: 'dashboard_token' },
              );
            }
            connection = {
              address: `127.0.0.1:${query.port}`,
              token: config.dashboard_query_token ?? ownToken,
              // Its own port speaks TLS when the process does, with the process's own certificate.
              tls: tls ?? (host.tls === undefined ? undefined : { ownCertificate: host.tls.certChain }),
            };
          }
          const client = createQueryClient(connection);
          let server: DashboardServer;
          try {
            server = await listening('dashboard_port', address, (bound) =>
              startDashboardServer({
                address: bound,
                tls: host.tls,
                query: client,
                loginToken: config.dashboard_token,
                tileUrl: config.dashboard_tile_url,
                tileAttribution: config.dashboard_tile_attribution,
                webRoot: partOptions.webRoot,
                logger: host.logger,
              }),
            );
          } catch (error) {
            client.close();
            throw error;
          }
          return {
            listening: { dashboard: server.port },
            async stopBeforePorts() {
              await server.close();
              client.close();
            },
          };
        },
      };
    },
  });
}

