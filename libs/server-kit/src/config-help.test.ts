import { describe, expect, it } from 'vitest';
import { configFileOption, defineOptions, envName, type OptionDeclaration } from './config';
import { formatHelp, formatOptionsMarkdown } from './config-help';
import { healthcheckServerOptions, runtimeOptions, tlsOptions } from './server-options';

const SECRET_DEFAULT = 'do-not-print-me';

/** Options like the services' own (declared by their parts, which this lib cannot import). */
const serviceLikeOptions = defineOptions([
  { name: 'collector_port', kind: 'address', default: ':9000', description: 'gRPC address of the collector service.' },
  {
    name: 'collector_token',
    kind: 'string',
    secret: true,
    bearerToken: true,
    nonEmpty: true,
    description: 'Bearer token collector clients must send (authorization: Bearer <token>).',
  },
  {
    name: 'store',
    kind: 'enum',
    choices: ['embedded', 'etcd'],
    default: 'embedded',
    description: 'Storage backend: embedded (lmdb in data_dir, single node) or etcd.',
  },
  { name: 'etcd.endpoints', kind: 'list', default: 'http://127.0.0.1:2379', description: 'etcd endpoints.' },
  {
    name: 'privacy.rotation_hour',
    kind: 'integer',
    min: 0,
    max: 23,
    default: '3',
    description: 'Hour of the day (UTC) at which a daily rotation happens.',
  },
]);

const declarations: readonly OptionDeclaration[] = [
  ...runtimeOptions,
  ...serviceLikeOptions,
  ...healthcheckServerOptions,
  ...tlsOptions,
  ...defineOptions([
    { name: 'verbose', kind: 'boolean', description: 'Say more.' },
    {
      name: 'admin_token',
      kind: 'string',
      secret: true,
      default: SECRET_DEFAULT,
      description: 'Admin token.',
    },
  ]),
];

describe('formatHelp', () => {
  const help = formatHelp('cqserver', 'Collector, query and health in one process.', declarations);

  it('starts with usage and the description', () => {
    expect(help.split('\n').slice(0, 3)).toEqual([
      'Usage: cqserver [options]',
      '',
      'Collector, query and health in one process.',
    ]);
  });

  it('lists every option with its value syntax, description, env name and default', () => {
    expect(help).toContain(
      '  --collector_port ADDR\n      gRPC address of the collector service.\n      env COLLECTOR_PORT, default :9000\n',
    );
    expect(help).toContain('  --store embedded|etcd\n');
    expect(help).toContain('  --privacy.rotation_hour N (0-23)\n');
    expect(help).toContain('      env ETCD_ENDPOINTS, default http://127.0.0.1:2379\n');
    expect(help).toContain('  --verbose\n      Say more.\n      env VERBOSE, default false\n');
    expect(help).toContain('Empty turns it off.\n      env METRICS_PORT, default :9100\n');
    for (const declaration of [...declarations, configFileOption]) {
      expect(help).toContain(`  --${declaration.name}`);
      expect(help).toContain(`${declaration.description}`);
      expect(help).toContain(`env ${envName(declaration.name)}, default `);
      if (declaration.default !== undefined && declaration.secret !== true) {
        expect(help).toContain(`env ${envName(declaration.name)}, default ${declaration.default}\n`);
      }
    }
    expect(help).toContain('  -h, --help\n');
  });

  it("marks secrets and never prints a secret's default", () => {
    expect(help).toContain('env ADMIN_TOKEN, default (hidden, secret)');
    expect(help).toContain('env COLLECTOR_TOKEN, default (none, secret)');
    expect(help).not.toContain(SECRET_DEFAULT);
  });
});

describe('formatOptionsMarkdown', () => {
  const markdown = formatOptionsMarkdown(declarations);
  const rows = markdown.trimEnd().split('\n');

  it('is a table with one row per option plus --config_file', () => {
    expect(rows[0]).toBe('| Flag | Environment | Value | Default | Description |');
    expect(rows[1]).toBe('| --- | --- | --- | --- | --- |');
    expect(rows).toHaveLength(2 + declarations.length + 1);
    for (const row of rows) {
      expect(row.split(/(?<!\\)\|/)).toHaveLength(7);
    }
  });

  it('gives each option its flag, env name and default', () => {
    expect(rows).toContain(
      '| `--collector_port` | `COLLECTOR_PORT` | address (:9000 or host:9000) | `:9000` | gRPC address of the collector service. |',
    );
    expect(rows).toContain(
      '| `--store` | `STORE` | embedded \\| etcd | `embedded` | Storage backend: embedded (lmdb in data_dir, single node) or etcd. |',
    );
    expect(rows).toContain(
      '| `--privacy.rotation_hour` | `PRIVACY_ROTATION_HOUR` | integer 0-23 | `3` | Hour of the day (UTC) at which a daily rotation happens. |',
    );
    for (const declaration of [...declarations, configFileOption]) {
      const row = rows.find((line) => line.startsWith(`| \`--${declaration.name}\` |`));
      expect(row).toContain(`| \`${envName(declaration.name)}\` |`);
      if (declaration.default !== undefined && declaration.secret !== true) {
        expect(row).toContain(`| \`${declaration.default}\` |`);
      }
    }
  });

  it("escapes text that Markdown would swallow and hides a secret's default", () => {
    expect(markdown).toContain('authorization: Bearer &lt;token&gt;');
    expect(markdown).toContain('| `--admin_token` | `ADMIN_TOKEN` | text | (hidden, secret) |');
    expect(markdown).not.toContain(SECRET_DEFAULT);
  });
});
