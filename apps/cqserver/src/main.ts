import { runServerApp } from '@message-bus/runtime';
import { join } from 'node:path';
import { cqserverParts } from './parts';

void runServerApp(
  {
    name: 'cqserver',
    description:
      'Collector, query, the travel-time worker, health and (with --dashboard_port) the web dashboard in one process, on the embedded store or etcd: the whole system for a small site.',
    parts: cqserverParts(join(__dirname, 'dashboard-web')),
    // Baked in by the build (tools/build/bundle-app.mjs).
    version: process.env.MESSAGE_BUS_VERSION ?? 'dev',
    commit: process.env.MESSAGE_BUS_COMMIT ?? 'unknown',
  },
  process,
);
