import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publishableLibraries } from './packed-libraries';
import { workspaceRoot } from './workspace';

/** A TypeScript example from a README, named by where it is. */
export interface ReadmeExample {
  /** A file name for the example: the README's path and the example's place in it. */
  readonly fileName: string;
  readonly code: string;
}

/** The project README's section for other teams, which shows the libraries in use. */
const librarySectionHeading = '## Use the libraries';

/** The ```ts blocks of a Markdown text, in order. */
function typescriptBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
}

/** The project README's library section: from its heading to the next level-2 heading. */
function librarySection(readme: string): string {
  const start = readme.indexOf(`\n${librarySectionHeading}\n`);
  if (start < 0) throw new Error(`README.md has no "${librarySectionHeading}" section`);
  const end = readme.indexOf('\n## ', start + librarySectionHeading.length + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/**
 * Every TypeScript example a consumer reads: those in the project README's library
 * section and in each published library's README. Each becomes an ES module (`.mts`, so
 * top-level `await` is allowed) that must type-check against the packed declarations.
 */
export function readmeExamples(): ReadmeExample[] {
  const readmes = [
    { path: 'README.md', markdown: librarySection(readFileSync(join(workspaceRoot, 'README.md'), 'utf8')) },
    ...publishableLibraries.map((library) => {
      const path = `libs/${library}/README.md`;
      return { path, markdown: readFileSync(join(workspaceRoot, path), 'utf8') };
    }),
  ];
  return readmes.flatMap(({ path, markdown }) =>
    typescriptBlocks(markdown).map((code, index) => ({
      fileName: `${path.replaceAll('/', '-').replace(/\.md$/, '')}-${index + 1}.mts`,
      code,
    })),
  );
}
