import { collectorPart } from '@message-bus/collector';
import { runServerApp } from '@message-bus/runtime';

void runServerApp(
  {
    name: 'collector',
    description:
      'The collector service alone: receives detector sightings, links, positions and status reports over gRPC.',
    parts: [collectorPart],
    // Baked in by the build (tools/build/bundle-app.mjs).
    version: process.env.MESSAGE_BUS_VERSION ?? 'dev',
    commit: process.env.MESSAGE_BUS_COMMIT ?? 'unknown',
  },
  process,
);
