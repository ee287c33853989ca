/**
 * `mbcli 0.1.0 (1a2b3c4d5e6f)`: the version and git commit that build.mjs bakes in, in
 * the form the server apps print for `--version`.
 */
export function versionLine(bin: string): string {
  const version = process.env.MESSAGE_BUS_VERSION ?? 'dev';
  const commit = process.env.MESSAGE_BUS_COMMIT ?? 'unknown';
  return `${bin} ${version} (${commit})`;
}
