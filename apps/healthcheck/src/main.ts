import { runServerApp } from '@message-bus/runtime';

void runServerApp(
  {
    name: 'healthcheck',
    description:
      'grpc.health.v1 alone, reporting whether the store answers; for Kubernetes probes of a split deployment.',
    parts: [],
    // Baked in by the build (tools/build/bundle-app.mjs).
    version: process.env.MESSAGE_BUS_VERSION ?? 'dev',
    commit: process.env.MESSAGE_BUS_COMMIT ?? 'unknown',
  },
  process,
);
