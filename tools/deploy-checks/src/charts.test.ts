import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  isPlainObject,
  mergeValues,
  missingValuePaths,
  parseYamlObject,
  readHelmChart,
  schemaErrors,
  unbalancedBlocks,
  valueReferences,
} from './helm-chart';
import { deployableApps, workspaceRoot } from './workspace';

const deploymentDirectory = join(workspaceRoot, 'deployment');

describe.each(deployableApps)('Helm chart deployment/$app', ({ app, probe }) => {
  /** The port the probes use, and the one a schema must bound. */
  const probedPort = probe === 'grpc' ? 'healthcheck' : 'dashboard';
  const chart = readHelmChart(join(deploymentDirectory, app));
  const appVersion = (
    JSON.parse(readFileSync(join(workspaceRoot, 'apps', app, 'package.json'), 'utf8')) as { version: string }
  ).version;

  it('has a Chart.yaml naming the chart after its folder, with a version and the app version', () => {
    expect(chart.chart).toMatchObject({ apiVersion: 'v2', name: app, type: 'application', appVersion });
    expect(chart.chart.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('has default values that pass its values.schema.json', () => {
    expect(schemaErrors(chart, chart.values)).toEqual([]);
  });

  it('has a schema that rejects a mistyped or misspelled value', () => {
    expect(schemaErrors(chart, { ...chart.values, replicaCount: 'two' })).toEqual([
      '.replicaCount should be integer',
    ]);
    expect(schemaErrors(chart, mergeValues(chart.values, { config: { LOG_LEVL: 'debug' } }))).toEqual([
      '.config should NOT have additional properties',
    ]);
    expect(schemaErrors(chart, mergeValues(chart.values, { ports: { [probedPort]: 70000 } }))).toEqual([
      `.ports.${probedPort} should be <= 65535`,
    ]);
  });

  it('references in its templates only values that values.yaml defines', () => {
    const missing = [...chart.templates].flatMap(([file, text]) =>
      missingValuePaths(chart.values, valueReferences(text)).map((path) => `${file}: .Values.${path}`),
    );
    expect(missing).toEqual([]);
  });

  it('uses every top-level value somewhere in its templates', () => {
    const referenced = new Set(
      [...chart.templates.values()].flatMap((text) => valueReferences(text).map((path) => path[0])),
    );
    expect(Object.keys(chart.values).filter((key) => !referenced.has(key))).toEqual([]);
  });

  it('closes every template block it opens', () => {
    const unbalanced = [...chart.templates].flatMap(([file, text]) => {
      const problem = unbalancedBlocks(text);
      return problem === undefined ? [] : [`${file}: ${problem}`];
    });
    expect(unbalanced).toEqual([]);
  });

  it('probes startup, readiness and liveness: gRPC health on port 5000, or GET /healthz on the dashboard port', () => {
    const deployment = chart.templates.get('deployment.yaml') ?? '';
    const probeSpec =
      probe === 'grpc'
        ? /grpc:\n\s+port: \{\{ \.Values\.ports\.healthcheck \}\}/g
        : /httpGet:\n\s+path: \/healthz\n\s+port: dashboard\n/g;
    expect(deployment.match(probeSpec)).toHaveLength(3);
    expect(deployment).toContain('startupProbe:');
    expect(deployment).toContain('readinessProbe:');
    expect(deployment).toContain('livenessProbe:');
    expect(chart.values.ports).toMatchObject(probe === 'grpc' ? { healthcheck: 5000 } : { dashboard: 8080 });
  });

  it('requests resources and creates a PodDisruptionBudget only for more than one replica', () => {
    expect(chart.values.resources).toMatchObject({
      requests: { cpu: expect.any(String), memory: expect.any(String) },
    });
    const pdb = chart.templates.get('pdb.yaml') ?? '';
    expect(pdb.startsWith('{{- if gt (int .Values.replicaCount) 1 }}\n')).toBe(true);
    expect(pdb.trimEnd().endsWith('{{- end }}')).toBe(true);
  });

  it('takes config from a ConfigMap and secrets only by reference to an existing Secret', () => {
    const deployment = chart.templates.get('deployment.yaml') ?? '';
    expect(deployment).toContain('configMapRef:');
    expect(deployment).toContain('secretKeyRef:');
    expect(chart.templates.get('configmap.yaml')).toContain('kind: ConfigMap');
    const secretKeys = (chart.values.secret as { keys: Record<string, string> }).keys;
    expect(Object.keys(chart.values.config as object).filter((name) => name in secretKeys)).toEqual([]);
    expect(JSON.stringify(chart.values.config)).not.toMatch(/PRIVACY_KEY"|TOKEN/);
  });
});

describe('templates shared between the charts', () => {
  const templatesOf = (app: string) => readHelmChart(join(deploymentDirectory, app)).templates;
  const grpcApps = deployableApps.filter(({ probe }) => probe === 'grpc').map(({ app }) => app);

  /** The apps whose copy of `file` differs from the first app's. */
  const differing = (apps: readonly string[], file: string) => {
    const [first, ...rest] = apps.map((app) => templatesOf(app).get(file));
    expect(first).toBeDefined();
    return apps.slice(1).filter((_app, index) => rest[index] !== first);
  };

  // Helm has no sharing between charts: the copies differ only where the apps do.
  it.each(['_helpers.tpl', 'configmap.yaml', 'pdb.yaml', 'serviceaccount.yaml', 'servicemonitor.yaml'])(
    'every chart has the same %s',
    (file) => {
      expect(
        differing(
          deployableApps.map(({ app }) => app),
          file,
        ),
      ).toEqual([]);
    },
  );

  it.each(['deployment.yaml', 'service.yaml', 'NOTES.txt', 'tests/test-health.yaml'])(
    'the gRPC charts have the same %s (the dashboard probes HTTP)',
    (file) => {
      expect(differing(grpcApps, file)).toEqual([]);
    },
  );

  it('the charts with gRPC ingress routes have the same ingress.yaml', () => {
    expect(differing(['cqserver', 'collector', 'query'], 'ingress.yaml')).toEqual([]);
  });
});

describe('secrets and ingress per app', () => {
  const secretKeysOf = (app: string) =>
    Object.keys(
      (readHelmChart(join(deploymentDirectory, app)).values.secret as { keys: object }).keys,
    ).sort();

  it('gives the privacy key to the apps that pseudonymise and each token to the service it guards', () => {
    expect(Object.fromEntries(deployableApps.map(({ app }) => [app, secretKeysOf(app)]))).toEqual({
      cqserver: ['COLLECTOR_TOKEN', 'PRIVACY_KEY', 'QUERY_TOKEN'],
      collector: ['COLLECTOR_TOKEN', 'PRIVACY_KEY'],
      query: ['QUERY_TOKEN'],
      healthcheck: [],
      traveltime: [],
      dashboard: ['DASHBOARD_QUERY_TOKEN', 'DASHBOARD_TOKEN'],
    });
  });

  it('routes an ingress host to each gRPC service, as the original did, and one to the dashboard', () => {
    const routesOf = (app: string) => {
      const chart = readHelmChart(join(deploymentDirectory, app));
      return chart.templates.has('ingress.yaml')
        ? (chart.values.ingress as { routes: unknown[] }).routes
        : undefined;
    };
    expect(routesOf('cqserver')).toEqual([
      { port: 'collector', host: 'collector.example.com', path: '/collector.CollectorService' },
      { port: 'query', host: 'query.example.com', path: '/query.QueryService' },
    ]);
    expect(routesOf('collector')).toEqual([
      { port: 'collector', host: 'collector.example.com', path: '/collector.CollectorService' },
    ]);
    expect(routesOf('query')).toEqual([
      { port: 'query', host: 'query.example.com', path: '/query.QueryService' },
    ]);
    expect(routesOf('healthcheck')).toBeUndefined();
    expect(routesOf('traveltime')).toBeUndefined();
    expect(routesOf('dashboard')).toEqual([{ port: 'dashboard', host: 'dashboard.example.com', path: '/' }]);
  });
});

describe('deployment/examples', () => {
  const examplesDirectory = join(deploymentDirectory, 'examples');
  const exampleFiles = (layout: string) =>
    readdirSync(join(examplesDirectory, layout))
      .filter((file) => file.endsWith('.yaml'))
      .sort();
  const readExample = (layout: string, file: string) =>
    parseYamlObject(readFileSync(join(examplesDirectory, layout, file), 'utf8'), `${layout}/${file}`);

  it('has values for cqserver alone and for each split service', () => {
    expect(exampleFiles('combined')).toEqual(['cqserver.yaml']);
    expect(exampleFiles('split')).toEqual([
      'collector.yaml',
      'healthcheck.yaml',
      'query.yaml',
      'traveltime.yaml',
    ]);
  });

  it.each(['combined', 'split'].flatMap((layout) => exampleFiles(layout).map((file) => [layout, file])))(
    '%s/%s, merged over its chart defaults, passes the chart schema',
    (layout, file) => {
      const chart = readHelmChart(join(deploymentDirectory, file.replace(/\.yaml$/, '')));
      expect(schemaErrors(chart, mergeValues(chart.values, readExample(layout, file)))).toEqual([]);
    },
  );

  it('puts every service of both layouts on the same etcd and key prefix', () => {
    const stores = ['combined', 'split'].flatMap((layout) =>
      exampleFiles(layout).map((file) => {
        const { STORE, ETCD_ENDPOINTS, ETCD_PREFIX } = readExample(layout, file).config as Record<
          string,
          unknown
        >;
        return { STORE, ETCD_ENDPOINTS, ETCD_PREFIX };
      }),
    );
    expect(new Set(stores.map((store) => JSON.stringify(store))).size).toBe(1);
    expect(stores[0]).toEqual({
      STORE: 'etcd',
      ETCD_ENDPOINTS: 'http://etcd-0.etcd:2379,http://etcd-1.etcd:2379,http://etcd-2.etcd:2379',
      ETCD_PREFIX: 'tdc',
    });
  });

  it('runs two travel-time workers in the split layout, so they get a PodDisruptionBudget', () => {
    expect(readExample('split', 'traveltime.yaml').replicaCount).toBe(2);
  });
});

describe('deployment/etcd/etcd.yaml', () => {
  const documents = parseAllDocuments(readFileSync(join(deploymentDirectory, 'etcd/etcd.yaml'), 'utf8')).map(
    (document) => document.toJS() as Record<string, unknown>,
  );

  it('is a headless Service, a PodDisruptionBudget and a three-member StatefulSet', () => {
    expect(documents.map((document) => [document.kind, document.metadata])).toEqual([
      ['Service', expect.objectContaining({ name: 'etcd' })],
      ['PodDisruptionBudget', expect.objectContaining({ name: 'etcd' })],
      ['StatefulSet', expect.objectContaining({ name: 'etcd' })],
    ]);
    expect(documents[2]?.spec).toMatchObject({ serviceName: 'etcd', replicas: 3 });
  });

  it('turns on auto-compaction and sets a backend quota', () => {
    const spec = documents[2]?.spec as { template: { spec: { containers: { command: string[] }[] } } };
    const command = spec.template.spec.containers[0]?.command ?? [];
    expect(command).toContain('--auto-compaction-mode=periodic');
    expect(command.find((flag) => flag.startsWith('--quota-backend-bytes='))).toMatch(/=\d+$/);
  });

  it('serves the endpoints the charts use by default', () => {
    const chart = readHelmChart(join(deploymentDirectory, 'cqserver'));
    const endpoints = String((chart.values.config as Record<string, unknown>).ETCD_ENDPOINTS).split(',');
    expect(endpoints).toEqual([
      'http://etcd-0.etcd:2379',
      'http://etcd-1.etcd:2379',
      'http://etcd-2.etcd:2379',
    ]);
    expect(isPlainObject(documents[0]?.spec) && documents[0].spec.clusterIP).toBe('None');
  });
});
