import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InputError } from '../input-error';

/** How mbcli talks TLS to the servers; absent means plaintext. */
export interface TlsSettings {
  /** PEM CA certificates trusted instead of the system's roots (`--tls_ca_file`). */
  readonly rootCerts?: Buffer | undefined;
  /** The name the server certificate must hold, instead of the host of the address (`--tls_server_name`). */
  readonly serverName?: string | undefined;
}

/** A setting's value and where the operator gave it, so an error can name the place to fix. */
export interface SourcedValue<T> {
  readonly value: T;
  /** `--tls_ca_file (or MBCLI_TLS_CA_FILE)` or `config file /home/op/.config/mbcli/config.yaml: tls_ca_file`. */
  readonly source: string;
}

export interface TlsChoice {
  /** `--tls`/`--no-tls`; undefined when no layer said. */
  readonly tls?: boolean | undefined;
  readonly caFile?: SourcedValue<string> | undefined;
  readonly serverName?: string | undefined;
}

/**
 * TLS is on with `--tls`, or when a CA file or server name is given (they mean nothing
 * without it); `--no-tls` turns it off even then, e.g. to reach a plaintext test server
 * while the config file names a CA.
 */
export function tlsSettings(choice: TlsChoice): TlsSettings | undefined {
  const enabled = choice.tls ?? (choice.caFile !== undefined || choice.serverName !== undefined);
  if (!enabled) return undefined;
  return {
    rootCerts: choice.caFile === undefined ? undefined : readCaFile(choice.caFile),
    serverName: choice.serverName,
  };
}

function readCaFile({ value: path, source }: SourcedValue<string>): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(error);
    throw new InputError(`${source}: cannot read ${JSON.stringify(path)} (${reason})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new InputError(
      `${source}: ${JSON.stringify(path)} holds no PEM certificate (a "-----BEGIN CERTIFICATE-----" block)`,
    );
  }
  try {
    // Node's TLS would skip a broken certificate silently and fail every call as
    // "untrusted"; parsing it here names the file instead.
    new X509Certificate(pem);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(`${source}: ${JSON.stringify(path)} is not a usable CA certificate (${reason})`);
  }
  return pem;
}
