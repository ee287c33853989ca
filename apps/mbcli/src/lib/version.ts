/** The version and git commit that build.mjs bakes in (`dev` and `unknown` when run unbuilt). */
export function versionInfo(): { version: string; commit: string } {
  return {
    version: process.env.MESSAGE_BUS_VERSION ?? 'dev',
    commit: process.env.MESSAGE_BUS_COMMIT ?? 'unknown',
  };
}

/**
 * `mbcli 0.1.0 (1a2b3c4d5e6f)`: the version and git commit, in the form the server apps
 * print for `--version`.
 */
export function versionLine(bin: string): string {
  const { version, commit } = versionInfo();
  return `${bin} ${version} (${commit})`;
}
