import { ConfigError, loadConfig } from '@message-bus/server-kit';
import { describe, expect, it } from 'vitest';
import { storeOptions } from './store-options';

function load(argv: readonly string[], env: Record<string, string> = {}) {
  return loadConfig(storeOptions, {
    argv,
    env,
    readFile: () => '',
  });
}

describe('storeOptions', () => {
  it('refuses an etcd.prefix that is not one store key segment, as a config error', () => {
    const cases: Array<[string[], Record<string, string>, string]> = [
      [['--etcd.prefix', 'a/b'], {}, `--etcd.prefix: "a/b" has U+002F '/' at character 2;`],
      [[], { ETCD_PREFIX: '..' }, 'env ETCD_PREFIX: ".." is "..", which a path-style reader collapses'],
      [['--etcd.prefix', 'x'.repeat(65)], {}, '--etcd.prefix: "xxx'],
    ];
    for (const [argv, env, start] of cases) {
      let error: unknown;
      try {
        load(argv, env);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message.startsWith(start)).toBe(true);
      expect((error as ConfigError).option).toBe('etcd.prefix');
    }
  });

  it('accepts a prefix of key-segment characters', () => {
    const loaded = load(['--etcd.prefix', 'site-7.tdc_2:a']);
    expect(loaded.help ? undefined : loaded.values['etcd.prefix']).toBe('site-7.tdc_2:a');
  });
});
