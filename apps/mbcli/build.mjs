// Builds every command (src/commands/**/*.ts) into dist/commands/**/*.js, the directory
// oclif loads commands from, and the root help (src/help.ts) into dist/help.js. Workspace libs are bundled from their TypeScript sources
// (the `@message-bus/source` condition); npm packages stay external, resolved from
// node_modules at run time.
import { readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as esbuild from 'esbuild';

const appDir = import.meta.dirname;
const commandsDir = join(appDir, 'src/commands');

function commandFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return commandFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const externalNpmPackages = {
  name: 'external-npm-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@message-bus/') ? undefined : { path: args.path, external: true },
    );
  },
};

rmSync(join(appDir, 'dist'), { recursive: true, force: true });
const entryPoints = commandFiles(commandsDir);
await esbuild.build({
  entryPoints: [...entryPoints, join(appDir, 'src/help.ts')],
  outdir: join(appDir, 'dist'),
  outbase: join(appDir, 'src'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  conditions: ['@message-bus/source'],
  plugins: [externalNpmPackages],
  logLevel: 'warning',
});
process.stdout.write(
  `built ${entryPoints.length} mbcli commands: ${entryPoints.map((file) => relative(commandsDir, file)).join(', ')}\n`,
);
