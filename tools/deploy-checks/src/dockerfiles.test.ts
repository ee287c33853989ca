import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHelmChart } from './helm-chart';
import { deployableApps, workspaceRoot } from './workspace';

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(dockerfile: string): string[] {
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

describe.each(deployableApps)('apps/$app/Dockerfile', ({ app, project }) => {
  const lines = instructions(readFileSync(join(workspaceRoot, 'apps', app, 'Dockerfile'), 'utf8'));
  const runtimeStage = lines.slice(lines.findLastIndex((line) => line.startsWith('FROM ')));

  it('builds the app with Nx in a build stage and starts a slim runtime stage from its output', () => {
    expect(lines.filter((line) => line.startsWith('FROM '))).toEqual([
      'FROM node:20-bookworm-slim AS build',
      'FROM node:20-bookworm-slim',
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^RUN npm ci .*&& npx nx run (\S+):build /));
    expect(lines.find((line) => line.includes('npx nx run'))).toContain(`npx nx run ${project}:build`);
    expect(runtimeStage).toContain(`COPY --from=build /workspace/apps/${app}/dist/ ./`);
  });

  it('installs only production dependencies in the runtime stage', () => {
    expect(runtimeStage.filter((line) => line.includes('npm '))).toEqual([
      expect.stringMatching(/^RUN npm install --omit=dev /),
    ]);
  });

  it('runs Node under tini as a non-root user', () => {
    expect(runtimeStage).toContain('ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/main.js"]');
    expect(runtimeStage).toContainEqual(expect.stringMatching(/apt-get install .*\btini\b/));
    expect(runtimeStage.filter((line) => line.startsWith('USER '))).toEqual(['USER node']);
  });

  it('labels the image with the version given as a build argument', () => {
    expect(runtimeStage).toContain('ARG VERSION=dev');
    expect(runtimeStage).toContainEqual(
      expect.stringContaining('org.opencontainers.image.version="$VERSION"'),
    );
  });

  it('exposes the ports its Helm chart declares', () => {
    const exposed = runtimeStage
      .find((line) => line.startsWith('EXPOSE '))
      ?.slice('EXPOSE '.length)
      .split(/\s+/)
      .map(Number);
    const chartPorts = Object.values(
      readHelmChart(join(workspaceRoot, 'deployment', app)).values.ports as object,
    );
    expect(exposed?.sort((a, b) => a - b)).toEqual(chartPorts.sort((a: number, b: number) => a - b));
  });
});
