import { travelTimePart } from '@message-bus/traveltime';
import { runServerApp } from '@message-bus/runtime';

void runServerApp(
  {
    name: 'traveltime',
    description:
      'The travel-time worker alone: estimates every road link each interval, sharing the destinations with other workers through etcd.',
    parts: [travelTimePart],
    // Baked in by the build (tools/build/bundle-app.mjs).
    version: process.env.MESSAGE_BUS_VERSION ?? 'dev',
    commit: process.env.MESSAGE_BUS_COMMIT ?? 'unknown',
  },
  process,
);
