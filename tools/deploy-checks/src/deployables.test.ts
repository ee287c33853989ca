import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseYamlObject } from './helm-chart';
import { deployableApps, workspaceRoot } from './workspace';

// Each app's dist/ (built by the Nx dependency of this target) is copied outside the
// workspace and given its production dependencies, as the runtime stage of its image does.
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

// Runs inside the deployable's folder, so it can only use what `npm install --omit=dev` put there.
const healthCheckScript = `
const grpc = require('@grpc/grpc-js');
const { service } = require('grpc-health-check');
const Health = grpc.makeGenericClientConstructor(service, 'Health');
const client = new Health(process.argv[1], grpc.credentials.createInsecure());
const giveUpAt = Date.now() + 20000;
(function check() {
  client.check({ service: '' }, (error, response) => {
    if (error && Date.now() < giveUpAt) return setTimeout(check, 200);
    process.stdout.write(error ? 'error: ' + error.details : String(response.status));
    process.exit(error ? 1 : 0);
  });
})();
`;

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

/** The script of a compose service's `node -e` health check. */
function composeHealthScript(service: string): string {
  const compose = parseYamlObject(readFileSync(join(workspaceRoot, 'docker-compose.yml'), 'utf8'), 'docker-compose.yml');
  const services = compose.services as Record<string, { healthcheck?: { test?: string[] } }>;
  const test = services[service]?.healthcheck?.test ?? [];
  expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
  return test[3] ?? '';
}

describe.each(deployableApps)('the $app deployable (apps/$app/dist)', ({ app, probe }) => {
  const directory = join(outside, app);
  const version = (
    JSON.parse(readFileSync(join(workspaceRoot, 'apps', app, 'package.json'), 'utf8')) as { version: string }
  ).version;

  it('installs its production dependencies outside the workspace', () => {
    cpSync(join(workspaceRoot, 'apps', app, 'dist'), directory, { recursive: true });
    const install = spawnSync(
      'npm',
      ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'],
      {
        cwd: directory,
        encoding: 'utf8',
      },
    );
    // No warning either: an engine the deployable's Node lacks, or an install script nobody decided on.
    expect(install.stderr.split('\n').filter((line) => /^npm (error|warn)/.test(line))).toEqual([]);
    expect(install.status).toBe(0);
  }, 180_000);

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
      const health =
        probe === 'grpc'
          ? spawnSync(process.execPath, ['-e', healthCheckScript, healthAddress], {
              cwd: directory,
              encoding: 'utf8',
            }).stdout
          : (await getWhenUp(`http://${healthAddress}/healthz`)).body;
      const login = servesPages ? await getWhenUp(`http://${dashboardAddress}/login`) : undefined;
      // docker-compose.yml's health check of this image, run as the container would (in its folder).
      const composeCheck = spawnSync(
        process.execPath,
        ['-e', composeHealthScript(app === 'traveltime' ? 'traveltime-1' : app)],
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
        health: probe === 'grpc' ? 'SERVING' : 'ok',
        login: servesPages ? [200, expect.stringContaining('text/html')] : undefined,
        composeCheck: [0, ''],
        output: '',
      });
    } finally {
      server.kill('SIGTERM');
    }
    expect(await exited(server)).toBe(0);
  }, 60_000);
});
