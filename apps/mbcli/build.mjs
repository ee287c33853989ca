// Builds every command (src/commands/**/*.ts) into dist/commands/**/*.js, the directory
// oclif loads commands from, the hooks (src/hooks/*.ts) into dist/hooks/, and the root
// help (src/help.ts) into dist/help.js. Workspace libs are bundled from their TypeScript
// sources (the `@message-bus/source` condition); npm packages stay external, resolved
// from node_modules at run time.
//
// The version and git commit are baked in as MESSAGE_BUS_VERSION / MESSAGE_BUS_COMMIT,
// as tools/build/bundle-app.mjs does for the server apps, for `mbcli --version`.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as esbuild from 'esbuild';

const appDir = import.meta.dirname;
const workspaceRoot = resolve(appDir, '../..');
const commandsDir = join(appDir, 'src/commands');
const hooksDir = join(appDir, 'src/hooks');

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: workspaceRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

const externalNpmPackages = {
  name: 'external-npm-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@message-bus/') ? undefined : { path: args.path, external: true },
    );
  },
};

const version = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')).version;
const commit = gitCommit();
rmSync(join(appDir, 'dist'), { recursive: true, force: true });
const commandFiles = sourceFiles(commandsDir);
await esbuild.build({
  entryPoints: [...commandFiles, ...sourceFiles(hooksDir), join(appDir, 'src/help.ts')],
  outdir: join(appDir, 'dist'),
  outbase: join(appDir, 'src'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  conditions: ['@message-bus/source'],
  plugins: [externalNpmPackages],
  define: {
    'process.env.MESSAGE_BUS_VERSION': JSON.stringify(version),
    'process.env.MESSAGE_BUS_COMMIT': JSON.stringify(commit),
  },
  logLevel: 'warning',
});
process.stdout.write(
  `built mbcli ${version} (${commit}), ${commandFiles.length} commands: ${commandFiles.map((file) => relative(commandsDir, file)).join(', ')}\n`,
);
