import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseYamlObject } from './helm-chart';
import { deployableApps, workspaceRoot } from './workspace';

// Each app's dist/ (built by the Nx dependency of this target) is copied outside the
// workspace and given its production dependencies from its lockfile, as the image does.
const outside = mkdtempSync(join(tmpdir(), 'deployables-'));
// Six apps' production node_modules: removing them took over 30 s on a loaded CI machine.
afterAll(() => rm(outside, { recursive: true, force: true, maxRetries: 3 }), 300_000);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

interface LockEntry {
  version?: string;
  integrity?: string;
  optional?: boolean;
}

function readLock(directory: string): Record<string, LockEntry> {
  return (
    JSON.parse(readFileSync(join(directory, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, LockEntry>;
    }
  ).packages;
}

const workspaceLock = readLock(workspaceRoot);

/** Every package installed under `directory`/node_modules: lock-style path to version. */
function installedPackages(directory: string, base = ''): Record<string, string> {
  const modules = join(directory, base, 'node_modules');
  if (!existsSync(modules)) return {};
  const names = readdirSync(modules)
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) =>
      name.startsWith('@') ? readdirSync(join(modules, name)).map((inner) => `${name}/${inner}`) : [name],
    );
  return Object.fromEntries(
    names.flatMap((name) => {
      const path = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
      const { version } = JSON.parse(readFileSync(join(directory, path, 'package.json'), 'utf8')) as {
        version: string;
      };
      return [[path, version] as const, ...Object.entries(installedPackages(directory, path))];
    }),
  );
}

/**
 * The versions of package `name` that the workspace's own packages declaring it resolve
 * (where the bundled code imports it from).
 */
function workspaceVersions(name: string): string[] {
  const declaring = Object.entries(workspaceLock).filter(
    ([path, entry]) =>
      !path.includes('node_modules') &&
      (entry as { dependencies?: Record<string, string> }).dependencies?.[name],
  );
  return declaring.map(([path]) => {
    const nested = workspaceLock[`${path}/node_modules/${name}`];
    return (nested ?? workspaceLock[`node_modules/${name}`])?.version ?? 'missing';
  });
}

/** Runs the deployable's health-probe.mjs (the image's HEALTHCHECK) until it says healthy, for up to 20 s. */
async function probeWhenUp(directory: string, probe: 'grpc' | 'http', address: string) {
  const giveUpAt = Date.now() + 20_000;
  for (;;) {
    const answer = await runProbe(directory, probe, address);
    if (answer.status === 0 || Date.now() > giveUpAt) return answer;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** One run of health-probe.mjs as HEALTHCHECK runs it: in the container's environment, the app's port in it. */
async function runProbe(directory: string, probe: 'grpc' | 'http', address: string) {
  const env = { PATH: process.env.PATH, [probe === 'grpc' ? 'HEALTHCHECK_PORT' : 'DASHBOARD_PORT']: address };
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['health-probe.mjs', probe], {
      cwd: directory,
      env,
    });
    return { status: 0, stdout: stdout.trim() };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { status: failed.code, stdout: failed.stdout?.trim() };
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** GETs `url` until it answers (the server is starting), for up to 20 s. */
async function getWhenUp(url: string): Promise<{ status: number; type: string | null; body: string }> {
  const giveUpAt = Date.now() + 20_000;
  for (;;) {
    try {
      const response = await fetch(url);
      return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
    } catch (error) {
      if (Date.now() > giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * The arguments of a compose service's `node` health check, with the image's /app (where
 * the dist is copied) standing for `directory`, so it runs as the container would.
 */
function composeHealthArgs(service: string, directory: string): string[] {
  const compose = parseYamlObject(readFileSync(join(workspaceRoot, 'docker-compose.yml'), 'utf8'), 'docker-compose.yml');
  const services = compose.services as Record<string, { healthcheck?: { test?: string[] } }>;
  const test = services[service]?.healthcheck?.test ?? [];
  expect(test.slice(0, 2)).toEqual(['CMD', 'node']);
  return test.slice(2).map((arg) => arg.replace(/^\/app\//, `${directory}/`));
}

describe.each(deployableApps)('the $app deployable (apps/$app/dist)', ({ app, probe }) => {
  const directory = join(outside, app);
  const version = (
    JSON.parse(readFileSync(join(workspaceRoot, 'apps', app, 'package.json'), 'utf8')) as { version: string }
  ).version;

  it('installs its production dependencies outside the workspace, from its lockfile', () => {
    cpSync(join(workspaceRoot, 'apps', app, 'dist'), directory, { recursive: true });
    const install = spawnSync('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: directory,
      encoding: 'utf8',
    });
    // No warning either: an engine the deployable's Node lacks, or an install script nobody decided on.
    expect(install.stderr.split('\n').filter((line) => /^npm (error|warn)/.test(line))).toEqual([]);
    expect(install.status).toBe(0);
  }, 180_000);

  it("installs exactly its lockfile's packages, at the versions of the workspace's lock", () => {
    const installed = installedPackages(directory);
    const lock = readLock(directory);
    // Optional packages of other platforms (lmdb's prebuilt binaries) are in the lock but not installed.
    const expected = Object.entries(lock).filter(
      ([path, entry]) => path !== '' && (!entry.optional || path in installed),
    );
    expect(installed).toEqual(Object.fromEntries(expected.map(([path, entry]) => [path, entry.version])));
    const inWorkspace = new Set(
      Object.entries(workspaceLock).map(
        ([path, entry]) => `${path.replace(/^.*node_modules\//, '')}@${entry.version}@${entry.integrity}`,
      ),
    );
    const notInWorkspace = expected
      .map(([path, entry]) => `${path.replace(/^.*node_modules\//, '')}@${entry.version}@${entry.integrity}`)
      .filter((found) => !inWorkspace.has(found));
    expect(notInWorkspace).toEqual([]);
    // main.js's own imports get the version the workspace's code that imports them was tested with.
    const { dependencies } = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const name of Object.keys(dependencies)) {
      expect({ name, version: installed[`node_modules/${name}`] }).toEqual({
        name,
        version: expect.toBeOneOf(workspaceVersions(name)),
      });
    }
  });

  it('reports its version and commit', () => {
    const result = spawnSync(process.execPath, ['main.js', '--version'], {
      cwd: directory,
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(
      new RegExp(`^${app} ${version.replace(/\./g, '\\.')} \\((?!unknown\\))[0-9a-f]{7,}\\)$`),
    );
  });

  // The dashboard app holds no store: it answers /healthz on its own port instead of gRPC health.
  // It and cqserver serve the dashboard pages from their own folder, copied in by the build.
  it('serves its health check (and the dashboard pages where it has them), then exits cleanly on SIGTERM', async () => {
    const healthAddress = `127.0.0.1:${await freePort()}`;
    const servesPages = app === 'dashboard' || app === 'cqserver';
    const dashboardAddress = app === 'dashboard' ? healthAddress : `127.0.0.1:${await freePort()}`;
    const args = ['main.js', '--metrics_port=', '--log_level=warn'];
    if (probe === 'grpc') args.push(`--data_dir=${join(directory, 'data')}`, `--healthcheck_port=${healthAddress}`);
    if (servesPages) args.push(`--dashboard_port=${dashboardAddress}`);
    // The service ports too, so parallel runs never collide on the defaults.
    if (app === 'cqserver' || app === 'collector')
      args.push(`--collector_port=127.0.0.1:${await freePort()}`);
    if (app === 'cqserver' || app === 'query') args.push(`--query_port=127.0.0.1:${await freePort()}`);
    const server = spawn(process.execPath, args, { cwd: directory, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const health = await probeWhenUp(directory, probe, healthAddress);
      const login = servesPages ? await getWhenUp(`http://${dashboardAddress}/login`) : undefined;
      // docker-compose.yml's health check of this image, run as the container would (in its folder).
      const composeCheck = spawnSync(
        process.execPath,
        composeHealthArgs(app === 'traveltime' ? 'traveltime-1' : app, directory),
        {
          cwd: directory,
          env: { PATH: process.env.PATH, [probe === 'grpc' ? 'HEALTHCHECK_PORT' : 'DASHBOARD_PORT']: healthAddress },
          encoding: 'utf8',
        },
      );
      expect({
        health,
        login: login && [login.status, login.type],
        composeCheck: [composeCheck.status, composeCheck.stderr],
        output,
      }).toEqual({
        health: { status: 0, stdout: probe === 'grpc' ? 'SERVING' : 'ok' },
        login: servesPages ? [200, expect.stringContaining('text/html')] : undefined,
        composeCheck: [0, ''],
        output: '',
      });
    } finally {
      server.kill('SIGTERM');
    }
    expect(await exited(server)).toBe(0);
    // With nothing listening, the probe says unhealthy.
    expect(await runProbe(directory, probe, healthAddress)).toEqual({
      status: 1,
      stdout: expect.stringContaining('ECONNREFUSED'),
    });
  }, 60_000);
});
