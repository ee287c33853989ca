import { defineOptions } from '@message-bus/server-kit';

/** More would only add processes contending for the same cores and store. */
const MAX_WORKERS = 256;

/**
 * How many processes serve the gRPC ports; only servers with a gRPC port declare it.
 * Unset means one per core (`os.availableParallelism()`, which honours a container's CPU
 * affinity); `1` runs the whole server in one process, as before workers existed.
 */
export const workerOptions = defineOptions([
  {
    name: 'workers',
    kind: 'integer',
    min: 1,
    max: MAX_WORKERS,
    description:
      'Processes serving the gRPC ports, sharing them (default: one per core, os.availableParallelism()); 1 runs everything in this one process. Background work, health, metrics and the dashboard run once, in the primary process.',
  },
]);

/** The worker processes to run: `configured`, or one per core when unset. */
export function workerCount(configured: number | undefined, cores: number): number {
  return configured ?? Math.max(1, Math.min(cores, MAX_WORKERS));
}
