import { AppProcess } from '@message-bus/tools/app-process';
import { etcdEndpoints } from '@message-bus/tools/etcd';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  familyOf,
  parseExposition,
  promQlSelectors,
  type ExportedMetric,
  type PromQlSelector,
} from './monitoring';
import { workspaceRoot } from './workspace';

const monitoringFolder = join(workspaceRoot, 'deployment', 'monitoring');
/** Labels Prometheus puts on every series it scrapes; the server never exports them. */
const TARGET_LABELS = ['job', 'instance'];

interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: string };
  readonly annotations: { readonly summary: string; readonly description: string };
}

interface GrafanaPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly panels?: readonly GrafanaPanel[];
  readonly targets?: ReadonlyArray<{ readonly expr: string }>;
}

interface GrafanaVariable {
  readonly name: string;
  readonly type: string;
  readonly definition?: string;
}

interface GrafanaDashboard {
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly GrafanaPanel[];
  readonly templating: { readonly list: readonly GrafanaVariable[] };
}

function readRules(): AlertRule[] {
  const document = parseYaml(readFileSync(join(monitoringFolder, 'prometheus-rules.yaml'), 'utf8')) as {
    groups: Array<{ name: string; rules: AlertRule[] }>;
  };
  expect(Object.keys(document)).toEqual(['groups']);
  expect(document.groups.length).toBeGreaterThan(0);
  for (const group of document.groups) {
    expect(Object.keys(group).sort()).toEqual(['name', 'rules']);
    expect(group.name).toMatch(/^message-bus\.[a-z]+$/);
    expect(group.rules.length).toBeGreaterThan(0);
  }
  return document.groups.flatMap((group) => group.rules);
}

function readDashboard(): GrafanaDashboard {
  return JSON.parse(readFileSync(join(monitoringFolder, 'grafana-dashboard.json'), 'utf8')) as GrafanaDashboard;
}

/** Every panel, those inside collapsed rows too. */
function allPanels(panels: readonly GrafanaPanel[]): GrafanaPanel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

/** Every PromQL expression of the dashboard: panel targets and the `label_values(<selector>, label)` variables. */
function dashboardExpressions(
  dashboard: GrafanaDashboard,
): Array<{ readonly where: string; readonly expr: string }> {
  const targets = allPanels(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr })),
  );
  const variables = dashboard.templating.list.flatMap((variable) => {
    if (variable.type !== 'query') return [];
    const selector = /^label_values\((.+),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$/.exec(variable.definition ?? '')?.[1];
    expect(selector, `variable ${variable.name}: ${variable.definition}`).toBeDefined();
    return [{ where: `variable ${variable.name}`, expr: selector ?? '' }];
  });
  return [...targets, ...variables];
}

/**
 * What is wrong with one selector against the scrape: a metric the server does not export,
 * or a label its samples never carry. `up` is Prometheus's own, with the target labels only.
 */
function selectorProblems(selector: PromQlSelector, exported: ReadonlyMap<string, ExportedMetric>): string[] {
  if (selector.metric === 'up') {
    return selector.labels
      .filter((label) => !TARGET_LABELS.includes(label))
      .map((label) => `up has no label ${label}`);
  }
  const family = exportedFamily(selector.metric, exported);
  const metric = family === undefined ? undefined : exported.get(family);
  if (metric === undefined) return [`${selector.metric} is not exported`];
  // A labelled metric that has not counted anything yet shows no samples, so no labels to check.
  if (metric.sampleCount === 0) return [];
  return selector.labels
    .filter((label) => !TARGET_LABELS.includes(label) && !metric.labelNames.has(label))
    .map((label) => `${selector.metric} has no label ${label}`);
}

/** The family a selector's metric names (`h_bucket` → `h` for a histogram `h`); `up` is Prometheus's own. */
function exportedFamily(metric: string, exported: ReadonlyMap<string, ExportedMetric>): string | undefined {
  if (metric === 'up') return metric;
  return familyOf(metric, new Map([...exported].map(([name, { type }]) => [name, type])));
}

describe('promQlSelectors', () => {
  it('finds metric names and matcher labels, skipping functions, aggregations, grouping, ranges and strings', () => {
    expect(
      promQlSelectors(
        'histogram_quantile(0.99, sum by (le, grpc_method) (rate(grpc_server_handling_seconds_bucket{job=~"$job", grpc_type="unary"}[$__rate_interval]))) ' +
          '/ on (job) group_left sum without (instance) (up == bool 1) or vector(0) and topk(3, x_total offset 5m)',
      ),
    ).toEqual([
      { metric: 'grpc_server_handling_seconds_bucket', labels: ['job', 'grpc_type'] },
      { metric: 'up', labels: [] },
      { metric: 'x_total', labels: [] },
    ]);
    expect(promQlSelectors('a{b="}{",c!~"x\\"y"}')).toEqual([{ metric: 'a', labels: ['b', 'c'] }]);
  });

  it('reads histogram and summary samples as their family', () => {
    const exported = parseExposition(
      [
        '# TYPE h histogram',
        'h_bucket{le="1",op="x"} 0',
        'h_sum{op="x"} 0',
        'h_count{op="x"} 0',
        '# TYPE s summary',
        's{quantile="0.5"} 1',
        's_count 1',
        '# TYPE c_total counter',
        '# TYPE g gauge',
        'g 2',
      ].join('\n'),
    );
    const labelsByFamily = [...exported].map(([name, metric]) => [name, [...metric.labelNames].sort()]);
    expect(Object.fromEntries(labelsByFamily)).toEqual({
      h: ['le', 'op'],
      s: ['quantile'],
      c_total: [],
      g: [],
    });
    expect(exported.get('h')?.sampleCount).toBe(3);
    expect(exported.get('c_total')?.sampleCount).toBe(0);
  });
});

describe('deployment/monitoring against the metrics the built cqserver exports', () => {
  let server: AppProcess | undefined;
  let scrape = '';
  let exported: ReadonlyMap<string, ExportedMetric> = new Map();

  beforeAll(async () => {
    // On etcd, the store of a deployment that the rules and dashboard watch.
    server = await AppProcess.start('cqserver', {
      args: [
        '--store=etcd',
        `--etcd.endpoints=${etcdEndpoints().join(',')}`,
        `--etcd.prefix=monitoring-${randomUUID()}`,
        '--collector_port=127.0.0.1:0',
        '--query_port=127.0.0.1:0',
        '--healthcheck_port=127.0.0.1:0',
        '--metrics_port=127.0.0.1:0',
        `--privacy.key=${randomBytes(32).toString('hex')}`,
        '--privacy.rotation=never',
        '--log_level=info', // AppProcess waits for the 'ready' line
      ],
    });
    const response = await fetch(`http://${server.address('metrics')}/metrics`);
    expect(response.status).toBe(200);
    scrape = await response.text();
    exported = parseExposition(scrape);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("names its own metrics message_bus_*, keeps the gRPC convention's and says its build", () => {
    const own = [...exported.keys()].filter((name) => !/^(process|nodejs)_/.test(name));
    expect(own.filter((name) => !/^(message_bus_|grpc_server_)/.test(name))).toEqual([]);
    const version = (
      JSON.parse(readFileSync(join(workspaceRoot, 'apps', 'cqserver', 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    const buildInfo = scrape.split('\n').find((line) => line.startsWith('message_bus_build_info{'));
    expect(buildInfo).toMatch(/^message_bus_build_info\{version="[^"]+",commit="[^"]+",app="cqserver"\} 1$/);
    expect(buildInfo).toContain(`version="${version}"`);
    // The build bakes in the commit it was built from.
    expect(buildInfo).not.toContain('commit="unknown"');
    const handledLabels = [...(exported.get('grpc_server_handled_total')?.labelNames ?? [])].sort();
    expect(handledLabels).toEqual(['app', 'grpc_code', 'grpc_method', 'grpc_service', 'grpc_type']);
    expect(exported.get('grpc_server_handling_seconds')?.type).toBe('histogram');
  });

  it('starts with zero series for the rejections and for every method and code', () => {
    const lines = scrape.split('\n');
    expect(lines).toContain('message_bus_sightings_rejected_total{reason="invalid_device_id",app="cqserver"} 0');
    expect(lines).toContain(
      'grpc_server_handled_total{grpc_type="unary",grpc_service="collector.CollectorService",grpc_method="CreateEventLog",grpc_code="InvalidArgument",app="cqserver"} 0',
    );
    expect(lines).toContain(
      'grpc_server_started_total{grpc_type="client_stream",grpc_service="collector.CollectorService",grpc_method="StreamEventLog",app="cqserver"} 0',
    );
    expect(lines).toContain(
      'grpc_server_handled_total{grpc_type="server_stream",grpc_service="query.QueryService",grpc_method="StreamEvents",grpc_code="OK",app="cqserver"} 0',
    );
  });

  it('has alert rules of the expected shape, each on metrics the server exports', () => {
    const rules = readRules();
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        'MessageBusTargetDown',
        'MessageBusIngestRejections',
        'MessageBusIngestErrors',
        'MessageBusWorkerBehind',
        'MessageBusStoreOutOfSpace',
      ]),
    );
    expect(new Set(rules.map((rule) => rule.alert)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(Object.keys(rule).sort(), rule.alert).toEqual(['alert', 'annotations', 'expr', 'for', 'labels']);
      expect(rule.alert).toMatch(/^MessageBus[A-Z][A-Za-z]+$/);
      expect(rule.for, rule.alert).toMatch(/^[1-9][0-9]*[mh]$/);
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length, rule.alert).toBeGreaterThan(10);
      expect(rule.annotations.description.length, rule.alert).toBeGreaterThan(40);
      const selectors = promQlSelectors(rule.expr);
      expect(selectors.length, rule.alert).toBeGreaterThan(0);
      expect(selectors.flatMap((selector) => selectorProblems(selector, exported)), rule.alert).toEqual([]);
    }
  });

  it('has a Grafana dashboard whose every panel and variable queries metrics the server exports', () => {
    const dashboard = readDashboard();
    expect(dashboard).toMatchObject({ uid: 'message-bus', title: 'message-bus' });
    const panels = allPanels(dashboard.panels);
    expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length);
    const expressions = dashboardExpressions(dashboard);
    for (const panel of panels.filter((candidate) => candidate.type !== 'row')) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
    const used = new Set<string>();
    for (const { where, expr } of expressions) {
      const selectors = promQlSelectors(expr);
      expect(selectors.length, where).toBeGreaterThan(0);
      expect(selectors.flatMap((selector) => selectorProblems(selector, exported)), where).toEqual([]);
      for (const selector of selectors) used.add(exportedFamily(selector.metric, exported) ?? selector.metric);
    }
    // What an operator looks at first: ingest, rejections, gRPC, the worker, alerts, the store, the processes.
    expect([...used]).toEqual(
      expect.arrayContaining([
        'up',
        'message_bus_sightings_ingested_total',
        'message_bus_sightings_rejected_total',
        'grpc_server_handled_total',
        'grpc_server_handling_seconds',
        'message_bus_travel_time_backlog_seconds',
        'message_bus_travel_time_destinations_held',
        'message_bus_alerts_open',
        'message_bus_store_operation_duration_seconds',
        'message_bus_etcd_endpoint_up',
        'process_resident_memory_bytes',
        'nodejs_eventloop_lag_p99_seconds',
      ]),
    );
  });
});
