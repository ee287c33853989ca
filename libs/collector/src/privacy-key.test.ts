import type { RawDeviceId } from '@message-bus/domain';
import { ConfigError, createLogger } from '@message-bus/server-kit';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeKeyFiles } from './node-key-files';
import { GENERATED_KEY_FILE, loadPseudonymiser, logGeneratedKeyFile, type PrivacySettings } from './privacy-key';

const rawId = 'aa:bb:cc:dd:ee:ff' as RawDeviceId;
const time = 1_700_000_000_000_000_000n;
let dataDir: string;

function settings(overrides: Partial<PrivacySettings> = {}): PrivacySettings {
  return {
    store: 'embedded',
    data_dir: dataDir,
    'privacy.key': undefined,
    'privacy.key_file': undefined,
    'privacy.rotation': 'daily',
    'privacy.rotation_hour': 3,
    'privacy.overlap': 30 * 60 * 1000,
    ...overrides,
  };
}

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'collector-privacy-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('loadPseudonymiser', () => {
  it('generates a key on first start of the embedded store, readable by its owner only, and reuses it', () => {
    const first = loadPseudonymiser(settings(), nodeKeyFiles);
    const keyPath = join(dataDir, GENERATED_KEY_FILE);
    expect(first.generatedKeyFile).toBe(keyPath);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    const again = loadPseudonymiser(settings(), nodeKeyFiles);
    expect(again.generatedKeyFile).toBeUndefined();
    expect(again.pseudonymiser.pseudonymsAt('wifi', rawId, time).current).toBe(
      first.pseudonymiser.pseudonymsAt('wifi', rawId, time).current,
    );
  });

  it('logs where it generated a key, and not the key', () => {
    const { generatedKeyFile } = loadPseudonymiser(settings(), nodeKeyFiles);
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({
      name: 'collector-test',
      level: 'info',
      destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    logGeneratedKeyFile(logger, generatedKeyFile!);
    const keyPath = join(dataDir, GENERATED_KEY_FILE);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        path: keyPath,
        msg: `generated a privacy key at ${keyPath}; back it up: sightings cannot be matched across a lost key`,
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(readFileSync(keyPath, 'utf8').trim());
  });

  it('refuses to start on etcd without a shared key', () => {
    const load = () => loadPseudonymiser(settings({ store: 'etcd' }), nodeKeyFiles);
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      'privacy.key or privacy.key_file is required with --store etcd: every collector of a deployment must share one key',
    );
  });

  it('gives the same pseudonyms for the same key, whether given inline or in a file', () => {
    const key = 'ab'.repeat(32);
    const keyFile = join(dataDir, 'shared.key');
    writeFileSync(keyFile, `${key}\n`);
    const inline = loadPseudonymiser(settings({ store: 'etcd', 'privacy.key': key }), nodeKeyFiles);
    const fromFile = loadPseudonymiser(
      settings({ store: 'etcd', 'privacy.key_file': keyFile }),
      nodeKeyFiles,
    );
    expect(fromFile.pseudonymiser.pseudonymsAt('bluetooth', rawId, time)).toEqual(
      inline.pseudonymiser.pseudonymsAt('bluetooth', rawId, time),
    );
    expect([inline.generatedKeyFile, fromFile.generatedKeyFile]).toEqual([undefined, undefined]);
  });

  it('names a missing or unusable key file', () => {
    const missing = join(dataDir, 'absent.key');
    expect(() => loadPseudonymiser(settings({ 'privacy.key_file': missing }), nodeKeyFiles)).toThrow(
      `privacy.key_file: ${missing} does not exist`,
    );
    const short = join(dataDir, 'short.key');
    writeFileSync(short, 'abcd');
    expect(() => loadPseudonymiser(settings({ 'privacy.key_file': short }), nodeKeyFiles)).toThrow(
      `privacy.key_file: ${short}: the key must be at least 32 random bytes`,
    );
  });

  it('rotates daily at the configured hour, or never', () => {
    const daily = loadPseudonymiser(settings({ 'privacy.key': 'cd'.repeat(32) }), nodeKeyFiles).pseudonymiser;
    const never = loadPseudonymiser(
      settings({ 'privacy.key': 'cd'.repeat(32), 'privacy.rotation': 'never' }),
      nodeKeyFiles,
    ).pseudonymiser;
    const day = 86_400_000_000_000n;
    expect(daily.pseudonymsAt('wifi', rawId, time).current).not.toBe(
      daily.pseudonymsAt('wifi', rawId, time + day).current,
    );
    expect(never.pseudonymsAt('wifi', rawId, time).current).toBe(
      never.pseudonymsAt('wifi', rawId, time + day).current,
    );
  });
});
