import { ConfigError } from './config';

/** PEM contents for the gRPC ports' TLS. */
export interface TlsFiles {
  readonly certChain: Buffer;
  readonly privateKey: Buffer;
}

export interface TlsPaths {
  /** `tls.cert_file` */
  readonly certFile: string | undefined;
  /** `tls.key_file` */
  readonly keyFile: string | undefined;
}

/**
 * Reads the certificate and key named by `tls.cert_file` and `tls.key_file`:
 * both or neither (undefined: plaintext). Throws a ConfigError naming the option.
 */
export function readTlsFiles(paths: TlsPaths, readFile: (path: string) => Buffer): TlsFiles | undefined {
  if (paths.certFile === undefined && paths.keyFile === undefined) {
    return undefined;
  }
  if (paths.certFile === undefined) {
    throw new ConfigError('--tls.cert_file: required with --tls.key_file', { option: 'tls.cert_file' });
  }
  if (paths.keyFile === undefined) {
    throw new ConfigError('--tls.key_file: required with --tls.cert_file', { option: 'tls.key_file' });
  }
  return {
    certChain: readPem('tls.cert_file', paths.certFile, readFile),
    privateKey: readPem('tls.key_file', paths.keyFile, readFile),
  };
}

/** Which ports besides the gRPC service ports serve TLS (`tls.healthcheck`, `tls.metrics`). */
export interface TlsPortChoice {
  readonly healthcheck: boolean;
  readonly metrics: boolean;
}

/**
 * TLS on the health or metrics port needs the certificate: asking for it without
 * `tls.cert_file` and `tls.key_file` is a ConfigError naming the option.
 */
export function checkTlsPortChoice(files: TlsFiles | undefined, choice: TlsPortChoice): void {
  if (files !== undefined) return;
  for (const port of ['healthcheck', 'metrics'] as const) {
    if (choice[port]) {
      throw new ConfigError(`--tls.${port}: needs --tls.cert_file and --tls.key_file`, {
        option: `tls.${port}`,
      });
    }
  }
}

function readPem(option: string, path: string, readFile: (path: string) => Buffer): Buffer {
  let contents: Buffer;
  try {
    contents = readFile(path);
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new ConfigError(`--${option}: cannot read ${JSON.stringify(path)}: ${reason}`, { option });
  }
  if (!contents.toString('latin1').includes('-----BEGIN ')) {
    throw new ConfigError(`--${option}: ${JSON.stringify(path)} is not a PEM file`, { option });
  }
  return contents;
}
