import { collectorPart } from '@message-bus/collector';
import { createDashboardPart } from '@message-bus/dashboard';
import { queryPart } from '@message-bus/query';
import { runServerApp } from '@message-bus/runtime';
import { travelTimePart } from '@message-bus/traveltime';
import { join } from 'node:path';

void runServerApp(
  {
    name: 'cqserver',
    description:
      'Collector, query, the travel-time worker, health and (with --dashboard_port) the web dashboard in one process, on the embedded store or etcd: the whole system for a small site.',
    // The dashboard comes after query: it reads this process's own query port. The build
    // copies its pages next to main.js (tools/build/bundle-app.mjs --assets).
    parts: [
      collectorPart,
      queryPart,
      travelTimePart,
      createDashboardPart({ webRoot: join(__dirname, 'dashboard-web') }),
    ],
    // Baked in by the build (tools/build/bundle-app.mjs).
    version: process.env.MESSAGE_BUS_VERSION ?? 'dev',
    commit: process.env.MESSAGE_BUS_COMMIT ?? 'unknown',
  },
  process,
);
