import { collectorPart } from '@message-bus/collector';
import { queryPart } from '@message-bus/query';
import { runServerApp } from '@message-bus/runtime';
import { travelTimePart } from '@message-bus/traveltime';

void runServerApp(
  {
    name: 'cqserver',
    description:
      'Collector, query, the travel-time worker and health in one process, on the embedded store or etcd: the whole system for a small site.',
    parts: [collectorPart, queryPart, travelTimePart],
    // Baked in by the build (tools/build/bundle-app.mjs).
    version: process.env.MESSAGE_BUS_VERSION ?? 'dev',
    commit: process.env.MESSAGE_BUS_COMMIT ?? 'unknown',
  },
  process,
);
