/** Whether each port a process listens on serves TLS, keyed by the option that names it. */
export type PortTls = Readonly<Partial<Record<string, boolean>>>;

/**
 * The one start-up log line that tells an operator which ports are TLS and which are
 * plaintext: its fields (`tls`, `plaintext`: option names) and its message.
 */
export function portSecurityLine(ports: PortTls): {
  readonly fields: { readonly tls: readonly string[]; readonly plaintext: readonly string[] };
  readonly message: string;
} {
  const served = Object.entries(ports).filter((entry): entry is [string, boolean] => entry[1] !== undefined);
  const tls = served.filter(([, on]) => on).map(([name]) => name);
  const plaintext = served.filter(([, on]) => !on).map(([name]) => name);
  const parts = [
    ...(tls.length === 0 ? [] : [`TLS on ${tls.join(', ')}`]),
    ...(plaintext.length === 0 ? [] : [`plaintext on ${plaintext.join(', ')}`]),
  ];
  return { fields: { tls, plaintext }, message: parts.join('; ') };
}
