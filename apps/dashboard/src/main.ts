import { runDashboardApp } from '@message-bus/dashboard';
import { join } from 'node:path';

void runDashboardApp(
  {
    name: 'dashboard',
    description:
      'The web dashboard alone: a live network map, travel-time charts, alerts and detector health, backed by the query service.',
    // The build copies the pages next to main.js (tools/build/bundle-app.mjs --assets).
    webRoot: join(__dirname, 'dashboard-web'),
    // Baked in by the build (tools/build/bundle-app.mjs).
    version: process.env.MESSAGE_BUS_VERSION ?? 'dev',
    commit: process.env.MESSAGE_BUS_COMMIT ?? 'unknown',
  },
  process,
);
