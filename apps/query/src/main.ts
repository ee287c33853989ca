import { queryPart } from '@message-bus/query';
import { runServerApp } from '@message-bus/runtime';

void runServerApp(
  {
    name: 'query',
    description: 'The query service alone: serves sightings, battery reports, detectors and links over gRPC.',
    parts: [queryPart],
    // Baked in by the build (tools/build/bundle-app.mjs).
    version: process.env.MESSAGE_BUS_VERSION ?? 'dev',
    commit: process.env.MESSAGE_BUS_COMMIT ?? 'unknown',
  },
  process,
);
