import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseYamlObject } from './helm-chart';
import { workspaceRoot } from './workspace';

// A throwaway key: `config` only interpolates it, nothing runs.
const privacyKey = 'a'.repeat(64);

/** `docker-compose <args>` on the root docker-compose.yml (Debian's docker-compose 1.29; no engine needed). */
function compose(args: readonly string[], env: Record<string, string | undefined>) {
  const result = spawnSync('docker-compose', ['-f', 'docker-compose.yml', ...args], {
    cwd: workspaceRoot,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
  if (result.error)
    throw new Error(`docker-compose could not run (.ci/run installs it): ${result.error.message}`);
  return result;
}

interface ComposeService {
  image: string;
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
  environment: Record<string, string | null>;
  command?: string[];
  healthcheck?: { test: string[] };
  ports?: { published: number; target: number }[];
}

function normalisedConfig(args: readonly string[] = []) {
  const result = compose([...args, 'config'], { PRIVACY_KEY: privacyKey });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return parseYamlObject(result.stdout, 'docker-compose config') as {
    services: Record<string, ComposeService>;
  };
}

describe('docker-compose.yml', () => {
  // docker-compose takes a second or two to start, so each normalisation runs once.
  const defaultConfig = () => (cached.default ??= normalisedConfig());
  const splitConfig = () => (cached.split ??= normalisedConfig(['--profile', 'split']));
  const cached: {
    default?: ReturnType<typeof normalisedConfig>;
    split?: ReturnType<typeof normalisedConfig>;
  } = {};

  it('is valid and normalises to etcd, cqserver and the split services', () => {
    const { services } = defaultConfig();
    expect(Object.keys(services).sort()).toEqual([
      'collector',
      'cqserver',
      'dashboard',
      'etcd',
      'healthcheck',
      'query',
      'traveltime-1',
      'traveltime-2',
    ]);
  });

  it('puts the split services, and only them, in the split profile', () => {
    const { services } = defaultConfig();
    const profiles = Object.fromEntries(
      Object.entries(services).map(([name, service]) => [name, service.profiles ?? []]),
    );
    expect(profiles).toEqual({
      etcd: [],
      cqserver: [],
      collector: ['split'],
      dashboard: ['split'],
      query: ['split'],
      healthcheck: ['split'],
      'traveltime-1': ['split'],
      'traveltime-2': ['split'],
    });
    expect(compose(['config', '--profiles'], { PRIVACY_KEY: privacyKey }).stdout.trim().split('\n')).toEqual([
      'split',
    ]);
  });

  it('lists the split services among the services of `--profile split`', () => {
    const result = compose(['--profile', 'split', 'config', '--services'], { PRIVACY_KEY: privacyKey });
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n').sort()).toEqual([
      'collector',
      'cqserver',
      'dashboard',
      'etcd',
      'healthcheck',
      'query',
      'traveltime-1',
      'traveltime-2',
    ]);
  });

  it('runs etcd with auto-compaction, a quota and an etcdctl health check', () => {
    const { etcd } = defaultConfig().services;
    expect(etcd?.image).toMatch(/etcd:v3\.5\.\d+$/);
    expect(etcd?.command).toEqual(
      expect.arrayContaining(['--auto-compaction-mode=periodic', '--auto-compaction-retention=1h']),
    );
    expect(etcd?.command?.find((flag) => flag.startsWith('--quota-backend-bytes='))).toMatch(/=\d+$/);
    expect(etcd?.healthcheck?.test).toEqual([
      'CMD',
      'etcdctl',
      '--endpoints=http://127.0.0.1:2379',
      'endpoint',
      'health',
    ]);
  });

  it('starts every message-bus service on the same etcd once etcd is healthy', () => {
    const { services } = defaultConfig();
    // The dashboard holds no store: it reads the query service.
    const onEtcd = Object.entries(services).filter(([name]) => name !== 'etcd' && name !== 'dashboard');
    expect(onEtcd).toHaveLength(6);
    for (const [name, service] of onEtcd) {
      expect({ name, etcd: service.depends_on?.etcd }).toEqual({
        name,
        etcd: { condition: 'service_healthy' },
      });
      expect({ name, ...service.environment }).toMatchObject({
        name,
        STORE: 'etcd',
        ETCD_ENDPOINTS: 'http://etcd:2379',
        ETCD_PREFIX: 'tdc',
      });
    }
  });

  it('hands the privacy key to the services that pseudonymise, from the environment', () => {
    const { services } = defaultConfig();
    const withKey = Object.entries(services)
      .filter(([, service]) => service.environment?.PRIVACY_KEY !== undefined)
      .map(([name, service]) => [name, service.environment.PRIVACY_KEY]);
    expect(withKey).toEqual([
      ['collector', privacyKey],
      ['cqserver', privacyKey],
    ]);
  });

  it('refuses to start without PRIVACY_KEY, saying how to set it', () => {
    const result = compose(['config', '--quiet'], {});
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('set PRIVACY_KEY to a key of at least 32 bytes');
  });

  it('serves the dashboard from cqserver, and the dashboard app from the split query service', () => {
    const { cqserver, dashboard } = splitConfig().services;
    expect(cqserver?.environment.DASHBOARD_PORT).toBe(':8080');
    expect(cqserver?.ports).toContainEqual(expect.objectContaining({ published: 8080, target: 8080 }));
    expect(dashboard?.environment.DASHBOARD_QUERY_ADDRESS).toBe('query:8000');
    expect(dashboard?.depends_on).toEqual({ query: { condition: 'service_started' } });
    expect(dashboard?.ports).toEqual([expect.objectContaining({ published: 18080, target: 8080 })]);
  });

  it('gives every service a health check run by its own image', () => {
    const { services } = splitConfig();
    const probes = Object.fromEntries(
      Object.entries(services).map(([name, service]) => [name, service.healthcheck?.test]),
    );
    // The probe every app's dist ships (the deployables test runs it against each app).
    const grpc = ['CMD', 'node', '/app/health-probe.mjs', 'grpc'];
    expect(probes).toEqual({
      etcd: ['CMD', 'etcdctl', '--endpoints=http://127.0.0.1:2379', 'endpoint', 'health'],
      cqserver: grpc,
      collector: grpc,
      query: grpc,
      healthcheck: grpc,
      'traveltime-1': grpc,
      'traveltime-2': grpc,
      dashboard: ['CMD', 'node', '/app/health-probe.mjs', 'http'],
    });
  });

  it('publishes etcd, which has no auth here, on this machine only', () => {
    // docker-compose 1.29 writes a port bound to one address in the short form.
    expect(defaultConfig().services.etcd?.ports as unknown).toEqual(['127.0.0.1:2379:2379/tcp']);
  });

  it('publishes the split services on host ports that do not clash with cqserver', () => {
    const published = Object.values(splitConfig().services).flatMap(
      (service) => service.ports?.map((port) => port.published) ?? [],
    );
    expect(published.length).toBeGreaterThan(0);
    expect(new Set(published).size).toBe(published.length);
  });
});
