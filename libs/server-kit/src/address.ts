/**
 * A listen address as the original Go services wrote it: `:9000` (every interface)
 * or `host:9000`; IPv6 hosts in brackets (`[::1]:9000`).
 */
export interface Address {
  readonly host: string;
  readonly port: number;
}

/**
 * The host that `:9000` stands for. grpc-js and node:http bind `0.0.0.0` on every
 * IPv4 interface, which also works where IPv6 is disabled (common in containers);
 * write `[::]:9000` to listen dual-stack.
 */
export const ALL_INTERFACES = '0.0.0.0';

const ADDRESS_PATTERN = /^(?<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):(?<port>\d{1,5})$/;
const BARE_PORT_PATTERN = /^\d{1,5}$/;
const MAX_PORT = 65_535;

/**
 * Parses `:9000`, `9000`, `host:9000` or `[::1]:9000`. Port 0 is accepted: the
 * system picks a free port (tests rely on it). Throws an Error whose message says
 * what is wrong, without naming the option (the caller adds that).
 */
export function parseAddress(text: string): Address {
  const match = BARE_PORT_PATTERN.test(text) ? { host: '', port: text } : ADDRESS_PATTERN.exec(text)?.groups;
  if (match === undefined || match['port'] === undefined) {
    throw new Error(`${JSON.stringify(text)} is not a port (use :9000 or host:9000)`);
  }
  const port = Number(match['port']);
  if (port > MAX_PORT) {
    throw new Error(`port ${port} is out of range (0-${MAX_PORT})`);
  }
  const host = match['host'] ?? '';
  return { host: host === '' ? ALL_INTERFACES : host.replace(/^\[(.*)\]$/, '$1'), port };
}

/** `host:port` as grpc-js `bindAsync` and clients expect it (`[::1]:9000` for IPv6). */
export function formatAddress(address: Address): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}
