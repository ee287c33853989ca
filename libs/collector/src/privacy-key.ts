import { decodePrivacyKey, Pseudonymiser, type RotationPolicy } from '@message-bus/domain';
import { ConfigError, type ConfigValues } from '@message-bus/server-kit';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { privacyOptions } from './collector-part';

export type PrivacySettings = ConfigValues<typeof privacyOptions> & {
  readonly store: 'embedded' | 'etcd';
  readonly data_dir: string;
};

/** The file operations key loading needs; the app passes node:fs. */
export interface KeyFiles {
  readFile(path: string): string | undefined;
  /** Creates the file readable by its owner only; fails if it exists. */
  createPrivateFile(path: string, content: string): void;
}

/** Where the embedded store keeps the key it generated on first start. */
export const GENERATED_KEY_FILE = 'privacy.key';

/**
 * Builds the pseudonymiser from the configured key. With etcd every collector of the
 * deployment must share one key, so it must be given; the embedded store runs alone,
 * so it generates a key on first start and keeps it in data_dir (mode 0600).
 */
export function loadPseudonymiser(settings: PrivacySettings, files: KeyFiles): Pseudonymiser {
  const masterSecret = privacyKey(settings, files);
  const rotation: RotationPolicy =
    settings['privacy.rotation'] === 'never'
      ? { kind: 'never' }
      : { kind: 'daily', utcHour: settings['privacy.rotation_hour'] };
  return new Pseudonymiser({
    masterSecret,
    rotation,
    overlapSeconds: Math.floor(settings['privacy.overlap'] / 1000),
  });
}

function privacyKey(settings: PrivacySettings, files: KeyFiles): Uint8Array {
  if (settings['privacy.key'] !== undefined) return decodePrivacyKey(settings['privacy.key']);
  const keyFile = settings['privacy.key_file'];
  if (keyFile !== undefined) {
    const text = files.readFile(keyFile);
    if (text === undefined) {
      throw new ConfigError(`privacy.key_file: ${keyFile} does not exist`, { option: 'privacy.key_file' });
    }
    return decodeKeyFile(keyFile, text);
  }
  if (settings.store === 'etcd') {
    throw new ConfigError(
      'privacy.key or privacy.key_file is required with --store etcd: every collector of a deployment must share one key',
      { option: 'privacy.key' },
    );
  }
  const generatedPath = join(settings.data_dir, GENERATED_KEY_FILE);
  const existing = files.readFile(generatedPath);
  if (existing !== undefined) return decodeKeyFile(generatedPath, existing);
  const key = randomBytes(32);
  files.createPrivateFile(generatedPath, `${key.toString('base64')}\n`);
  return key;
}

function decodeKeyFile(path: string, text: string): Uint8Array {
  try {
    return decodePrivacyKey(text);
  } catch (error) {
    throw new ConfigError(`privacy.key_file: ${path}: ${(error as Error).message}`, {
      option: 'privacy.key_file',
    });
  }
}
