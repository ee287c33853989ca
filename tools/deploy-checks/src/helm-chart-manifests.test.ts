import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isPlainObject,
  mergeValues,
  parseManifests,
  parseYamlObject,
  readHelmChart,
  schemaChecker,
  schemaErrors,
  undeclaredSchemaPaths,
  valueReferences,
  type HelmChart,
  type Manifest,
} from './helm-chart';
import { renderChart } from './helm-chart-render';
import { deployableApps, workspaceRoot } from './workspace';

/*
 * The charts rendered by the small evaluator in helm-chart-render.ts (no `helm` runs here), with
 * their defaults and with every optional feature on, and the manifests checked as Kubernetes and
 * Helm would read them.
 */

interface Container {
  readonly [field: string]: unknown;
  readonly name: string;
  readonly image: string;
  readonly command?: string[];
  readonly env?: { name: string; value: string }[];
  readonly volumeMounts?: { name: string; mountPath: string }[];
}

type PodSpec = Record<string, unknown> & { containers: Container[]; volumes?: { name: string }[] };

const RELEASE = { releaseName: 'roads', namespace: 'traffic' };

function render(chart: HelmChart, overrides: Record<string, unknown>, releaseName = RELEASE.releaseName) {
  const values = mergeValues(chart.values, overrides);
  const rendered = renderChart(chart, values, { ...RELEASE, releaseName });
  return { values, notes: rendered.get('NOTES.txt') ?? '', manifests: parseManifests(rendered) };
}

function only(manifests: readonly Manifest[], kind: string): Manifest {
  const found = manifests.filter((manifest) => manifest.kind === kind);
  expect(found.map(({ file }) => file)).toHaveLength(1);
  return found[0] as Manifest;
}

function at(object: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((value, key) => (isPlainObject(value) ? value[key] : undefined), object);
}

function deploymentPod(manifests: readonly Manifest[]): PodSpec {
  return at(only(manifests, 'Deployment').object, 'spec', 'template', 'spec') as PodSpec;
}

function firstContainer(pod: PodSpec): Container {
  const [container] = pod.containers;
  if (container === undefined) throw new Error('a pod without containers');
  return container;
}

function testPod(manifests: readonly Manifest[]): Manifest {
  return only(manifests, 'Pod');
}

/** Every optional feature on, with values a user might set; they must pass the schema too. */
function featureValues(chart: HelmChart): Record<string, unknown> {
  const configSchema = at(chart.schema, 'properties', 'config', 'properties') as Record<string, unknown>;
  return {
    replicaCount: 3,
    imagePullSecrets: [{ name: 'registry' }],
    podAnnotations: { 'example.org/team': 'roads' },
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'roads', effect: 'NoSchedule' }],
    affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } },
    serviceAccount: { create: true, name: 'roads-reader', annotations: { 'example.org/role': 'reader' } },
    serviceMonitor: {
      enabled: true,
      interval: '15s',
      scrapeTimeout: '5s',
      labels: { release: 'kube-prometheus-stack' },
      tlsConfig: { insecureSkipVerify: true },
    },
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' },
      {
        maxSkew: 2,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'message-bus' } },
      },
    ],
    ...('ingress' in chart.values ? { ingress: { enabled: true, clusterIssuer: 'letsencrypt' } } : {}),
    ...('TLS_METRICS' in configSchema ? { config: { TLS_METRICS: true } } : {}),
  };
}

/** What Pod Security "restricted" refuses in a pod spec, as messages (empty when it admits the pod). */
function restrictedViolations(pod: PodSpec): string[] {
  const podContext = (pod.securityContext ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC']) if (pod[key] === true) problems.push(key);
  if (!['RuntimeDefault', 'Localhost'].includes(String(at(podContext, 'seccompProfile', 'type')))) {
    problems.push('pod seccompProfile is not RuntimeDefault or Localhost');
  }
  for (const container of pod.containers) {
    const context = (container.securityContext ?? {}) as Record<string, unknown>;
    if (context.allowPrivilegeEscalation !== false)
      problems.push(`${container.name}: allowPrivilegeEscalation`);
    if (context.privileged === true) problems.push(`${container.name}: privileged`);
    if (JSON.stringify(at(context, 'capabilities', 'drop')) !== '["ALL"]') {
      problems.push(`${container.name}: capabilities not dropped`);
    }
    if ((context.runAsNonRoot ?? podContext.runAsNonRoot) !== true)
      problems.push(`${container.name}: runAsNonRoot`);
    if ((context.runAsUser ?? podContext.runAsUser) === 0) problems.push(`${container.name}: runs as root`);
  }
  return problems;
}

/** Runs a `node -e` script in the workspace root, where the image's packages resolve too: its exit and output. */
async function runNode(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['-e', script], {
    cwd: workspaceRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output: output.trim() };
}

/** A grpc.health.v1 server on loopback, answering `status` for the whole server, on a free port. */
async function withHealthServer<T>(status: ServingStatus, use: (port: number) => Promise<T>): Promise<T> {
  const server = new Server();
  new HealthImplementation({ '': status }).addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  try {
    return await use(port);
  } finally {
    server.forceShutdown();
  }
}

describe.each(deployableApps)('Helm chart deployment/$app, rendered', ({ app, probe }) => {
  const chart = readHelmChart(join(workspaceRoot, 'deployment', app));
  const defaults = render(chart, {});
  const features = render(chart, featureValues(chart));

  it('takes the feature values as valid, and declares in its schema every value its templates use', () => {
    expect(schemaErrors(chart, features.values)).toEqual([]);
    const undeclared = [...chart.templates].flatMap(([file, text]) =>
      undeclaredSchemaPaths(chart.schema, valueReferences(text)).map((path) => `${file}: .Values.${path}`),
    );
    expect(undeclared).toEqual([]);
  });

  it('renders by default a ServiceAccount, the workload, its Service and ConfigMap, and the test pod', () => {
    const expected = ['ConfigMap', 'Deployment', 'Pod', 'Service', 'ServiceAccount'];
    if (Number(chart.values.replicaCount) > 1) expected.push('PodDisruptionBudget');
    expect(defaults.manifests.map(({ kind }) => kind).sort()).toEqual(expected.sort());
    expect(new Set(defaults.manifests.map(({ name }) => name))).toEqual(
      new Set([`roads-${app}`, `roads-${app}-test-health`]),
    );
  });

  it('renders with every feature on also the ServiceMonitor, the PodDisruptionBudget and any Ingress', () => {
    const kinds = features.manifests.map(({ kind }) => kind);
    expect(kinds.filter((kind) => kind === 'ServiceMonitor')).toHaveLength(1);
    expect(kinds).toContain('PodDisruptionBudget');
    expect(kinds.includes('Ingress')).toBe('ingress' in chart.values);
  });

  it.each([
    ['defaults', defaults],
    ['features', features],
  ])('runs the app and the test pod as Pod Security "restricted" asks (%s)', (_name, { manifests }) => {
    for (const pod of [deploymentPod(manifests), at(testPod(manifests).object, 'spec') as PodSpec]) {
      expect(restrictedViolations(pod)).toEqual([]);
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        fsGroup: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const container of pod.containers) {
        expect(container.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
  });

  it.each([
    ['defaults', defaults, `roads-${app}`],
    ['features', features, 'roads-reader'],
  ])(
    'runs both pods as the ServiceAccount it creates, without an API token (%s)',
    (_name, { manifests }, account) => {
      const serviceAccount = only(manifests, 'ServiceAccount');
      expect(serviceAccount.name).toBe(account);
      expect(serviceAccount.object.automountServiceAccountToken).toBe(false);
      for (const pod of [deploymentPod(manifests), at(testPod(manifests).object, 'spec') as PodSpec]) {
        expect(pod).toMatchObject({ serviceAccountName: account, automountServiceAccountToken: false });
      }
      expect(at(only(features.manifests, 'ServiceAccount').object, 'metadata', 'annotations')).toEqual({
        'example.org/role': 'reader',
      });
    },
  );

  it('runs as an existing ServiceAccount, or "default", when told not to create one', () => {
    for (const [name, expected] of [
      ['', 'default'],
      ['shared', 'shared'],
    ] as const) {
      const { manifests } = render(chart, { serviceAccount: { create: false, name } });
      expect(manifests.filter(({ kind }) => kind === 'ServiceAccount')).toEqual([]);
      expect(deploymentPod(manifests)).toMatchObject({
        serviceAccountName: expected,
        automountServiceAccountToken: false,
      });
    }
  });

  it('gives every path the app writes a volume, since the root filesystem is read-only', () => {
    const pod = deploymentPod(defaults.manifests);
    const container = firstContainer(pod);
    const volumes = new Map((pod.volumes ?? []).map((volume) => [volume.name, volume]));
    for (const mount of container.volumeMounts ?? [])
      expect(volumes.get(mount.name)).toHaveProperty('emptyDir');
    // The images set DATA_DIR=/app/data for the apps with a store; the dashboard has none.
    const mounted = (container.volumeMounts ?? []).map(({ mountPath }) => mountPath).sort();
    expect(mounted).toEqual(probe === 'grpc' ? ['/app/data', '/tmp'] : ['/tmp']);
  });

  it('probes startup, readiness and liveness the same way', () => {
    const container = firstContainer(deploymentPod(defaults.manifests));
    const handler =
      probe === 'grpc' ? { grpc: { port: 5000 } } : { httpGet: { path: '/healthz', port: 'dashboard' } };
    for (const name of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(container[name]).toMatchObject(handler);
    }
    expect(container.startupProbe).toMatchObject({ periodSeconds: 5, failureThreshold: 30 });
  });

  it('spreads the pods softly over nodes by default, counting its own pods; keeps a given selector', () => {
    const selector = at(only(defaults.manifests, 'Deployment').object, 'spec', 'selector', 'matchLabels');
    expect(deploymentPod(defaults.manifests).topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: selector },
      },
    ]);
    const constraints = deploymentPod(features.manifests).topologySpreadConstraints as Record<
      string,
      unknown
    >[];
    expect(constraints.map((constraint) => constraint.labelSelector)).toEqual([
      { matchLabels: selector },
      { matchLabels: { 'app.kubernetes.io/part-of': 'message-bus' } },
    ]);
    expect(render(chart, { topologySpreadConstraints: [] }).manifests).not.toContainEqual(
      expect.objectContaining({
        object: expect.objectContaining({ topologySpreadConstraints: expect.anything() }),
      }),
    );
  });

  it('has a helm test pod that checks the health of the Service, with the app image', () => {
    const pod = testPod(defaults.manifests);
    expect(at(pod.object, 'metadata', 'annotations', 'helm.sh/hook')).toBe('test');
    expect(pod.file).toBe('tests/test-health.yaml');
    // No selector of the release picks the test pod: clients of the Service never reach it.
    const podLabels = at(pod.object, 'metadata', 'labels') as Record<string, string>;
    const selects = (selector: unknown) =>
      Object.entries(selector as Record<string, string>).every(([key, value]) => podLabels[key] === value);
    const selectors = [
      at(only(features.manifests, 'Service').object, 'spec', 'selector'),
      at(only(features.manifests, 'Deployment').object, 'spec', 'selector', 'matchLabels'),
      at(only(features.manifests, 'PodDisruptionBudget').object, 'spec', 'selector', 'matchLabels'),
    ];
    expect(selectors.map(selects)).toEqual([false, false, false]);
    const spec = at(pod.object, 'spec') as PodSpec;
    expect(spec.restartPolicy).toBe('Never');
    const container = firstContainer(spec);
    expect(container.image).toBe(firstContainer(deploymentPod(defaults.manifests)).image);
    expect(container.command?.slice(0, 2)).toEqual(['node', '-e']);
    const service = only(defaults.manifests, 'Service');
    const servicePorts = at(service.object, 'spec', 'ports') as { name: string; port: number }[];
    const target =
      probe === 'grpc'
        ? {
            name: 'HEALTH_ADDRESS',
            value: `${service.name}:${servicePorts.find((p) => p.name === 'healthcheck')?.port}`,
          }
        : {
            name: 'HEALTH_URL',
            value: `http://${service.name}:${servicePorts.find((p) => p.name === 'dashboard')?.port}/healthz`,
          };
    expect(container.env).toEqual([target]);
    if (probe === 'http') {
      const tls = render(chart, { config: { TLS_CERT_FILE: '/tls/tls.crt', TLS_KEY_FILE: '/tls/tls.key' } });
      expect(firstContainer(at(testPod(tls.manifests).object, 'spec') as PodSpec).env).toEqual([
        { name: 'HEALTH_URL', value: `https://${service.name}:8080/healthz` },
      ]);
    }
  });

  it('scrapes the metrics port of its Service with a ServiceMonitor only when enabled', () => {
    expect(defaults.manifests.filter(({ kind }) => kind === 'ServiceMonitor')).toEqual([]);
    const monitor = only(features.manifests, 'ServiceMonitor');
    const service = only(features.manifests, 'Service');
    expect(monitor.object.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(at(monitor.object, 'metadata', 'labels')).toMatchObject({ release: 'kube-prometheus-stack' });
    const selector = at(monitor.object, 'spec', 'selector', 'matchLabels') as Record<string, string>;
    expect(at(service.object, 'metadata', 'labels')).toMatchObject(selector);
    const endpoints = at(monitor.object, 'spec', 'endpoints') as Record<string, unknown>[];
    const tlsMetrics = at(features.values, 'config', 'TLS_METRICS') === true;
    expect(endpoints).toEqual([
      {
        port: 'metrics',
        path: '/metrics',
        interval: '15s',
        scrapeTimeout: '5s',
        ...(tlsMetrics ? { scheme: 'https' } : {}),
        tlsConfig: { insecureSkipVerify: true },
      },
    ]);
    const servicePorts = at(service.object, 'spec', 'ports') as { name: string }[];
    expect(servicePorts.map(({ name }) => name)).toContain('metrics');
  });

  it('names its objects by nameOverride and fullnameOverride, within 63 characters', () => {
    const names = (overrides: Record<string, unknown>, releaseName?: string) =>
      new Set(
        render(chart, overrides, releaseName)
          .manifests.filter(({ kind }) => kind !== 'Pod')
          .map(({ name }) => name),
      );
    expect(names({ fullnameOverride: 'traffic-eye' })).toEqual(new Set(['traffic-eye']));
    expect(names({ nameOverride: 'eye' })).toEqual(new Set(['roads-eye']));
    expect(names({}, `${app}-blue`)).toEqual(new Set([`${app}-blue`]));
    const long = 'r'.repeat(62) + '-long';
    expect(names({}, long)).toEqual(new Set(['r'.repeat(62)]));
    const labels = at(render(chart, { nameOverride: 'eye' }).manifests[0]?.object, 'metadata', 'labels');
    expect(labels).toMatchObject({ 'app.kubernetes.io/name': 'eye', 'app.kubernetes.io/instance': 'roads' });
  });

  it('says in NOTES.txt how to reach the service, where its metrics are, and how to test it', () => {
    expect(chart.templates.has('NOTES.txt')).toBe(true);
    expect(defaults.notes).toContain(`kubectl --namespace traffic port-forward service/roads-${app}`);
    expect(defaults.notes).toContain('/metrics on port 9100');
    expect(defaults.notes).toContain('helm test roads --namespace traffic');
    expect(defaults.notes).toContain('set serviceMonitor.enabled=true');
    expect(features.notes).toContain(
      `The ServiceMonitor roads-${app} has the Prometheus Operator scrape it every 15s`,
    );
  });
});

describe('deployment/examples, rendered', () => {
  const examples = ['combined', 'split'].flatMap((layout) =>
    readdirSync(join(workspaceRoot, 'deployment/examples', layout))
      .filter((file) => file.endsWith('.yaml'))
      .map((file) => [layout, file] as const),
  );

  it.each(examples)('%s/%s renders restricted pods, its replicas and its ingress hosts', (layout, file) => {
    const chart = readHelmChart(join(workspaceRoot, 'deployment', file.replace(/\.yaml$/, '')));
    const example = parseYamlObject(
      readFileSync(join(workspaceRoot, 'deployment/examples', layout, file), 'utf8'),
      `${layout}/${file}`,
    );
    const { manifests } = render(chart, example);
    expect(restrictedViolations(deploymentPod(manifests))).toEqual([]);
    expect(only(manifests, 'Deployment').object).toMatchObject({ spec: { replicas: example.replicaCount } });
    const routes = at(example, 'ingress', 'routes') as { host: string }[] | undefined;
    const ingressHosts = manifests
      .filter(({ kind }) => kind === 'Ingress')
      .map(({ object }) => at(object, 'spec', 'rules') as { host: string }[])
      .map(([rule]) => rule?.host);
    expect(ingressHosts).toEqual((routes ?? []).map(({ host }) => host));
  });
});

describe('the helm test pods, run against a server', () => {
  const script = (app: string) => {
    const chart = readHelmChart(join(workspaceRoot, 'deployment', app));
    const spec = at(testPod(render(chart, {}).manifests).object, 'spec') as PodSpec;
    return (firstContainer(spec).command?.[2] ?? '').trim();
  };
  const grpcApps = deployableApps.filter(({ probe }) => probe === 'grpc').map(({ app }) => app);

  it('gives every gRPC chart the same script', () => {
    expect(new Set(grpcApps.map(script))).toEqual(new Set([script('collector')]));
  });

  it.each<[ServingStatus, number]>([
    ['SERVING', 0],
    ['NOT_SERVING', 1],
  ])('gRPC charts: answer %s, exit %i', async (status, code) => {
    const { port, ...result } = await withHealthServer(status, async (port) => ({
      port,
      ...(await runNode(script('collector'), { HEALTH_ADDRESS: `127.0.0.1:${port}` })),
    }));
    expect(result).toEqual({ code, output: `grpc.health.v1 of 127.0.0.1:${port}: ${status}` });
  });

  it('gRPC charts: fail when nothing listens', async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as AddressInfo;
    closed.close();
    await once(closed, 'close');
    expect(await runNode(script('collector'), { HEALTH_ADDRESS: `127.0.0.1:${port}` })).toEqual({
      code: 1,
      output: expect.stringMatching(/^grpc\.health\.v1 of 127\.0\.0\.1:\d+: 14 UNAVAILABLE/),
    });
  });

  it('dashboard: passes on 200 from /healthz and fails otherwise', async () => {
    const probeScript = script('dashboard');
    const server = createServer((request, response) => {
      response.statusCode = request.url === '/healthz' ? 200 : 503;
      response.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      expect(await runNode(probeScript, { HEALTH_URL: `http://127.0.0.1:${port}/healthz` })).toEqual({
        code: 0,
        output: `GET http://127.0.0.1:${port}/healthz: 200`,
      });
      expect(await runNode(probeScript, { HEALTH_URL: `http://127.0.0.1:${port}/elsewhere` })).toEqual({
        code: 1,
        output: `GET http://127.0.0.1:${port}/elsewhere: 503`,
      });
    } finally {
      server.close();
    }
  });
});

describe('duration values in the schemas', () => {
  // The options each app's `--help` lists as DURATION.
  const storeDurations = [
    'RETENTION',
    'TRAVELTIME_RETENTION',
    'STATUS_RETENTION',
    'PROFILE_RETENTION',
    'ALERT_RETENTION',
  ];
  const workerDurations = [
    'TRAVELTIME_INTERVAL',
    'TRAVELTIME_LAG',
    'TRAVELTIME_LEASE_TTL',
    'TRAVELTIME_PROFILE_REFRESH',
    'TRAVELTIME_DETECTOR_CHECK_INTERVAL',
    'TRAVELTIME_CLOCK_SKEW_ALERT',
  ];
  const durationsOf: Record<string, string[]> = {
    cqserver: [...storeDurations, 'PRIVACY_OVERLAP', ...workerDurations],
    collector: [...storeDurations, 'PRIVACY_OVERLAP'],
    query: storeDurations,
    healthcheck: storeDurations,
    traveltime: [...storeDurations, ...workerDurations],
    dashboard: [],
  };

  it.each(deployableApps.map(({ app }) => app))('%s: checks every duration by pattern', (app) => {
    const chart = readHelmChart(join(workspaceRoot, 'deployment', app));
    const check = schemaChecker(chart);
    const configSchema = at(chart.schema, 'properties', 'config', 'properties') as Record<string, unknown>;
    const durationNames = Object.keys(configSchema).filter(
      (name) => at(configSchema, name, '$ref') === '#/definitions/duration',
    );
    expect(durationNames.sort()).toEqual([...(durationsOf[app] ?? [])].sort());
    for (const name of durationNames) {
      const withValue = (value: string) => mergeValues(chart.values, { config: { [name]: value } });
      for (const good of ['0', '30m', '168h', '7d', '1h30m', '500ms', '1.5h']) {
        expect(check(withValue(good)), `${name}=${good}`).toEqual([]);
      }
      for (const bad of ['7 days', '10', '1w', '', 'h']) {
        expect(check(withValue(bad)), `${name}=${bad}`).toEqual([
          `.config.${name} should match pattern "^(0|([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+)$"`,
        ]);
      }
    }
    const monitorWith = (interval: string) => mergeValues(chart.values, { serviceMonitor: { interval } });
    const prometheusPattern = String(at(chart.schema, 'definitions', 'prometheusDuration', 'pattern'));
    expect(check(monitorWith('1m30s'))).toEqual([]);
    for (const bad of ['30 seconds', '1.5m', '30']) {
      expect(check(monitorWith(bad)), bad).toEqual([
        `.serviceMonitor.interval should match pattern "${prometheusPattern}"`,
      ]);
    }
  });
});
