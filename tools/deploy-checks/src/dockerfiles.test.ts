import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYamlObject, readHelmChart } from './helm-chart';
import { deployableApps, workspaceRoot } from './workspace';

interface Stage {
  readonly name: string | undefined;
  readonly from: string;
  /** Its instructions after FROM. */
  readonly lines: readonly string[];
}

const dockerfilePath = join(workspaceRoot, 'deployment', 'Dockerfile');

/** Dockerfile instructions, continuation lines joined, comments and the syntax directive dropped. */
function instructions(dockerfile: string): string[] {
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The global ARGs (before the first FROM) and the stages, in order. */
function parseDockerfile(dockerfile: string): { globalArgs: string[]; stages: Stage[] } {
  const lines = instructions(dockerfile);
  const firstFrom = lines.findIndex((line) => line.startsWith('FROM '));
  const stages: Stage[] = [];
  for (let index = firstFrom; index < lines.length;) {
    const end = lines.findIndex((line, at) => at > index && line.startsWith('FROM '));
    const [, from = '', name] = /^FROM (\S+)(?: AS (\S+))?$/.exec(lines[index] ?? '') ?? [];
    stages.push({ name, from, lines: lines.slice(index + 1, end === -1 ? lines.length : end) });
    index = end === -1 ? lines.length : end;
  }
  return { globalArgs: lines.slice(0, firstFrom), stages };
}

const { globalArgs, stages } = parseDockerfile(readFileSync(dockerfilePath, 'utf8'));
const stage = (name: string) => stages.find((candidate) => candidate.name === name);

/** The stages one app's image is made of, base first, as `--build-arg APP=<app>` selects them. */
function imageStages(app: string): Stage[] {
  const chain: Stage[] = [];
  for (
    let current = stages.at(-1);
    current !== undefined;
    current = stage(current.from.replace('${APP}', app))
  ) {
    chain.unshift(current);
  }
  return chain;
}

describe('deployment/Dockerfile', () => {
  it('is the one Dockerfile: no app has its own', () => {
    const appsWithOne = readdirSync(join(workspaceRoot, 'apps')).filter((app) =>
      existsSync(join(workspaceRoot, 'apps', app, 'Dockerfile')),
    );
    expect(appsWithOne).toEqual([]);
  });

  it('builds cqserver by default and has a stage for each deployable app, and only for them', () => {
    expect(globalArgs).toEqual(['ARG APP=cqserver']);
    expect(stages.at(-1)?.from).toBe('app-${APP}');
    expect(stages.flatMap((candidate) => candidate.name?.match(/^app-(.+)$/)?.[1] ?? []).sort()).toEqual(
      deployableApps.map(({ app }) => app).sort(),
    );
  });

  it('installs the workspace from its manifests before copying the sources, and builds APP with Nx', () => {
    expect(stage('manifests')?.from).toBe('node:20-bookworm-slim');
    const build = stage('build');
    expect(build?.from).toBe('node:20-bookworm-slim');
    const lines = build?.lines ?? [];
    const manifestsCopy = lines.indexOf('COPY --from=manifests /workspace/ ./');
    const install = lines.findIndex((line) => /^RUN npm ci\b/.test(line));
    const sourcesCopy = lines.indexOf('COPY . .');
    // APP is declared after `npm ci`: a build argument in scope changes the cache key of every RUN.
    const appArgument = lines.indexOf('ARG APP');
    const nxBuild = lines.findIndex((line) =>
      /^RUN cd apps\/\$APP && NX_DAEMON=false npx nx build /.test(line),
    );
    expect([manifestsCopy, install, sourcesCopy, appArgument, nxBuild].every((at) => at >= 0)).toBe(true);
    expect(manifestsCopy < install && install < sourcesCopy && sourcesCopy < appArgument).toBe(true);
    expect(appArgument < nxBuild).toBe(true);
  });

  it("keeps exactly the workspace's package.json files and package-lock.json in the manifests stage", () => {
    const lines = stage('manifests')?.lines ?? [];
    expect(lines.slice(0, 2)).toEqual(['WORKDIR /workspace', 'COPY . .']);
    const command = lines.find((line) => line.startsWith('RUN '))?.slice('RUN '.length) ?? '';
    // The stage's command, run on a small workspace in a temporary folder.
    const workspace = mkdtempSync(join(tmpdir(), 'manifests-'));
    try {
      const files = {
        'package.json': '{}',
        'package-lock.json': '{}',
        'README.md': '',
        '.git/HEAD': '',
        'apps/collector/package.json': '{}',
        'apps/collector/src/main.ts': '',
        'libs/domain/package.json': '{}',
        'libs/domain/src/index.ts': '',
      };
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(workspace, path)), { recursive: true });
        writeFileSync(join(workspace, path), text);
      }
      const run = spawnSync('sh', ['-c', command], { cwd: workspace, encoding: 'utf8' });
      expect(run.status).toBe(0);
      const left = readdirSync(workspace, { recursive: true, encoding: 'utf8' }).sort();
      expect(left).toEqual([
        'apps',
        'apps/collector',
        'apps/collector/package.json',
        'libs',
        'libs/domain',
        'libs/domain/package.json',
        'package-lock.json',
        'package.json',
      ]);
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });

  it('names the Dockerfile and the app in every build of docker-compose.yml', () => {
    const compose = parseYamlObject(
      readFileSync(join(workspaceRoot, 'docker-compose.yml'), 'utf8'),
      'compose',
    );
    const builds = Object.entries(compose.services as Record<string, { image: string; build?: object }>)
      .filter(([, service]) => service.build !== undefined)
      .map(([, service]) => ({
        app: service.image.replace(/^message-bus\/|:.*$/g, ''),
        build: service.build,
      }));
    expect(builds).toHaveLength(deployableApps.length);
    for (const { app, build } of builds) {
      expect(build).toEqual({
        context: '.',
        dockerfile: 'deployment/Dockerfile',
        args: {
          APP: app,
          VERSION: '${VERSION:-dev}',
          REVISION: '${REVISION:-unknown}',
        },
      });
    }
  });
});

describe.each(deployableApps)('the $app image of deployment/Dockerfile', ({ app, probe }) => {
  const chain = imageStages(app);
  const lines = chain.flatMap((candidate) => candidate.lines);
  const final = chain.at(-1)?.lines ?? [];

  it('starts from the slim Node image, through its app stage', () => {
    expect(chain.map((candidate) => candidate.name ?? candidate.from)).toEqual([
      'runtime',
      ...(probe === 'grpc' ? ['store-app'] : []),
      `app-${app}`,
      'app-${APP}',
    ]);
    expect(chain[0]?.from).toBe('node:20-bookworm-slim');
  });

  it('installs production dependencies from the lockfile before copying the bundle', () => {
    expect(lines.filter((line) => /\bnpm\b/.test(line))).toEqual([
      expect.stringMatching(/^RUN npm ci --omit=dev .*&& npm cache clean --force$/),
    ]);
    const dist = '/workspace/apps/${APP}/dist';
    const manifests = final.indexOf(`COPY --from=build ${dist}/package.json ${dist}/package-lock.json ./`);
    const install = final.findIndex((line) => line.startsWith('RUN npm ci'));
    const bundle = final.indexOf(`COPY --from=build ${dist}/ ./`);
    expect(manifests).toBeGreaterThanOrEqual(0);
    expect(manifests < install && install < bundle).toBe(true);
  });

  it("checks its health with the probe its build ships, as Kubernetes' probes do", () => {
    const healthchecks = lines.filter((line) => line.startsWith('HEALTHCHECK '));
    const timing = '--interval=10s --timeout=5s --start-period=15s --retries=3';
    expect(healthchecks).toEqual([`HEALTHCHECK ${timing} CMD ["node", "/app/health-probe.mjs", "${probe}"]`]);
    expect(existsSync(join(workspaceRoot, 'apps', app, 'dist', 'health-probe.mjs'))).toBe(true);
  });

  it('runs Node under tini as a non-root user', () => {
    expect(final.at(-1)).toBe('ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/main.js"]');
    expect(lines).toContainEqual(expect.stringMatching(/apt-get install .*\btini\b/));
    expect(lines.filter((line) => line.startsWith('USER '))).toEqual(['USER node']);
  });

  it('keeps the embedded store in /app/data where it has a store', () => {
    const dataDirectory = lines.filter((line) => line.includes('/app/data'));
    expect(dataDirectory).toEqual(
      probe === 'grpc'
        ? ['RUN mkdir -p /app/data && chown node:node /app/data', 'ENV DATA_DIR=/app/data']
        : [],
    );
  });

  it('labels the image with title, version, revision, source and licence, after every layer', () => {
    const label = final.find((line) => line.startsWith('LABEL ')) ?? '';
    expect(label.split(/(?<=") /)).toEqual([
      'LABEL org.opencontainers.image.title="message-bus ${APP}"',
      'org.opencontainers.image.version="$VERSION"',
      'org.opencontainers.image.revision="$REVISION"',
      'org.opencontainers.image.source="$SOURCE"',
      'org.opencontainers.image.licenses="MIT"',
    ]);
    // A new revision must not rebuild the layers: its ARG comes after the last RUN and COPY.
    const lastLayer = final.findLastIndex((line) => /^(RUN|COPY) /.test(line));
    for (const argument of ['ARG VERSION=dev', 'ARG REVISION=unknown', 'ARG SOURCE=']) {
      expect(final.findIndex((line) => line.startsWith(argument))).toBeGreaterThan(lastLayer);
    }
  });

  it('exposes the ports its Helm chart declares', () => {
    const exposed = lines
      .filter((line) => line.startsWith('EXPOSE '))
      .flatMap((line) => line.slice('EXPOSE '.length).split(' ').map(Number));
    const chartPorts = Object.values(
      readHelmChart(join(workspaceRoot, 'deployment', app)).values.ports as object,
    ) as number[];
    expect(exposed.sort((a, b) => a - b)).toEqual(chartPorts.sort((a, b) => a - b));
  });
});
