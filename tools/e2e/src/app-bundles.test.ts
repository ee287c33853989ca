import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Each app deploys alone: its bundle (built by `nx build`, a dependency of this
 * project's tests) carries the code of the parts it runs and none of the others'.
 * esbuild heads each bundled module with its source path (`// ../../libs/query/src/…`)
 * and keeps class names (`var QueryService = class`); a service is recognised by both.
 */
const SERVICE_MARKERS = {
  collector: ['// ../../libs/collector/src/', 'var CollectorUseCases = class'],
  query: ['// ../../libs/query/src/', 'var QueryService = class', 'var ScanAdmission = class'],
  traveltime: ['// ../../libs/traveltime/src/', 'var TravelTimeWorker = class'],
} as const;

type Service = keyof typeof SERVICE_MARKERS;

const APP_SERVICES: Record<string, readonly Service[]> = {
  collector: ['collector'],
  query: ['query'],
  traveltime: ['traveltime'],
  healthcheck: [],
  cqserver: ['collector', 'query', 'traveltime'],
};

function bundle(app: string): string {
  return readFileSync(resolve(__dirname, '../../../apps', app, 'dist/main.js'), 'utf8');
}

describe('app bundles', () => {
  for (const [app, services] of Object.entries(APP_SERVICES)) {
    it(`${app} holds the code of ${services.length === 0 ? 'no service' : services.join(', ')} only`, () => {
      const code = bundle(app);
      const found = Object.fromEntries(
        Object.entries(SERVICE_MARKERS).map(([service, markers]) => [
          service,
          markers.filter((marker) => code.includes(marker)),
        ]),
      );
      const expected = Object.fromEntries(
        Object.entries(SERVICE_MARKERS).map(([service, markers]) => [
          service,
          services.includes(service as Service) ? [...markers] : [],
        ]),
      );
      expect(found).toEqual(expected);
    });
  }
});
