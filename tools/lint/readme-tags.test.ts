import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layer rules and their documentation are one thing: the README's Layout section
 * names every tag the lint config constrains or allows, and every project's tags are
 * ones the lint config knows, so no project escapes the rules by a new tag.
 */
const workspaceRoot = resolve(__dirname, '../..');

interface DependencyConstraint {
  readonly sourceTag: string;
  readonly onlyDependOnLibsWithTags?: readonly string[];
}

interface FlatConfigEntry {
  readonly rules?: Record<string, unknown>;
}

/** Every depConstraints list of every @nx/enforce-module-boundaries setting in eslint.config.mjs. */
async function lintConstraints(): Promise<DependencyConstraint[]> {
  const configUrl = pathToFileURL(join(workspaceRoot, 'eslint.config.mjs')).href;
  const { default: config } = (await import(configUrl)) as { default: FlatConfigEntry[] };
  return config.flatMap((entry) => {
    const setting = entry.rules?.['@nx/enforce-module-boundaries'];
    if (!Array.isArray(setting)) return [];
    const options = setting[1] as { depConstraints: DependencyConstraint[] };
    return options.depConstraints;
  });
}

function tagsOf(constraints: readonly DependencyConstraint[]): string[] {
  const tags = constraints.flatMap((constraint) => [
    constraint.sourceTag,
    ...(constraint.onlyDependOnLibsWithTags ?? []),
  ]);
  return [...new Set(tags)].sort();
}

/** The tags written as code in the README's Layout section. */
function readmeLayoutTags(): string[] {
  const readme = readFileSync(join(workspaceRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Layout\n');
  if (start < 0) throw new Error('README.md has no "## Layout" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const tags = [...section.matchAll(/`([a-z]+:[a-z-]+)`/g)].map((match) => match[1] ?? '');
  return [...new Set(tags)].sort();
}

/** Each workspace project's package.json folder and its Nx tags, from the root workspaces globs. */
function projectTags(): { project: string; tags: string[] }[] {
  const rootManifest = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  const folders = rootManifest.workspaces.flatMap((pattern) =>
    pattern.endsWith('/*')
      ? readdirSync(join(workspaceRoot, pattern.slice(0, -2))).map(
          (name) => `${pattern.slice(0, -2)}/${name}`,
        )
      : [pattern],
  );
  return folders
    .filter((folder) => existsSync(join(workspaceRoot, folder, 'package.json')))
    .map((folder) => {
      const manifest = JSON.parse(readFileSync(join(workspaceRoot, folder, 'package.json'), 'utf8')) as {
        nx?: { tags?: string[] };
      };
      return { project: folder, tags: manifest.nx?.tags ?? [] };
    });
}

describe('the README and the lint config name the same layer tags', () => {
  it('lists in the README Layout section exactly the tags eslint.config.mjs uses', async () => {
    const lintTags = tagsOf(await lintConstraints());
    expect(lintTags).toContain('type:simulation');
    expect(readmeLayoutTags()).toEqual(lintTags);
  });

  it('gives every project a tag the lint config constrains, and no tag it does not know', async () => {
    const constraints = await lintConstraints();
    const constrained = new Set(constraints.map((constraint) => constraint.sourceTag));
    const known = new Set(tagsOf(constraints));
    const projects = projectTags();
    expect(projects.length).toBeGreaterThan(10);
    const outsideTheRules = projects.filter(
      ({ tags }) => !tags.some((tag) => constrained.has(tag)) || tags.some((tag) => !known.has(tag)),
    );
    expect(outsideTheRules).toEqual([]);
  });
});
