import { describe, expect, it } from 'vitest';
import { ConfigError } from './config';
import { readTlsFiles } from './tls';

const PEM_CERT = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const PEM_KEY = Buffer.from('-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');

const files: Readonly<Record<string, Buffer>> = {
  '/tls/cert.pem': PEM_CERT,
  '/tls/key.pem': PEM_KEY,
  '/tls/notes.txt': Buffer.from('not a certificate'),
};

function readFile(path: string): Buffer {
  const contents = files[path];
  if (contents === undefined) {
    throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
  }
  return contents;
}

function tlsError(certFile: string | undefined, keyFile: string | undefined): string {
  try {
    readTlsFiles({ certFile, keyFile }, readFile);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('readTlsFiles', () => {
  it('means plaintext when neither file is named', () => {
    expect(readTlsFiles({ certFile: undefined, keyFile: undefined }, readFile)).toBeUndefined();
  });

  it('reads both PEM files', () => {
    expect(readTlsFiles({ certFile: '/tls/cert.pem', keyFile: '/tls/key.pem' }, readFile)).toEqual({
      certChain: PEM_CERT,
      privateKey: PEM_KEY,
    });
  });

  it('needs both files, readable, in PEM', () => {
    expect(tlsError('/tls/cert.pem', undefined)).toBe('--tls.key_file: required with --tls.cert_file');
    expect(tlsError(undefined, '/tls/key.pem')).toBe('--tls.cert_file: required with --tls.key_file');
    expect(tlsError('/tls/missing.pem', '/tls/key.pem')).toBe(
      '--tls.cert_file: cannot read "/tls/missing.pem": no such file',
    );
    expect(tlsError('/tls/cert.pem', '/tls/notes.txt')).toBe(
      '--tls.key_file: "/tls/notes.txt" is not a PEM file',
    );
  });
});
