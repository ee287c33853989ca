#!/usr/bin/env node
// The `mbcli` executable: oclif finds the built commands through package.json's `oclif` section.
void (async () => {
  const { execFileSync } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');

  // After `npm ci` nothing is built yet: build once, so `npx mbcli` works straight away.
  if (!existsSync(join(__dirname, '../dist/commands'))) {
    process.stderr.write('mbcli: building the commands once (apps/mbcli/dist)...\n');
    execFileSync(process.execPath, [join(__dirname, '../build.mjs')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }

  // With TLS to an IP address grpc-js names the IP as the TLS server name, which Node
  // warns about (DEP0123) on stderr; the warning is for grpc-js, not for an operator.
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = (warning, ...rest) =>
    rest.includes('DEP0123') || rest[0]?.code === 'DEP0123' ? undefined : emitWarning(warning, ...rest);

  const { execute } = await import('@oclif/core');
  await execute({ dir: __dirname });
})();
