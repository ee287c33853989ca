// One lint config for the whole workspace. The dependency rules of ARCHITECTURE.md
// live here, as Nx project tags checked by @nx/enforce-module-boundaries.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import js from '@eslint/js';
import globals from 'globals';

/** Packages that tie code to a transport, a store or a CLI framework. */
const infrastructurePackages = ['@grpc/*', 'etcd3', 'lmdb', '@oclif/*'];

const allLibraryTags = [
  'type:domain',
  'type:port',
  'type:proto',
  'type:adapter',
  'type:server-kit',
  'type:service',
  'type:web',
];

/**
 * Which projects each layer may import. `inTests` relaxes two rules: a service's tests
 * run against real stores, so they may import the adapters its source never sees, and
 * every test may use the test tooling (the throwaway etcd).
 */
function dependencyConstraints({ inTests }) {
  const constraints = [
    {
      sourceTag: 'type:domain',
      onlyDependOnLibsWithTags: ['type:domain'],
      bannedExternalImports: infrastructurePackages,
    },
    {
      sourceTag: 'type:port',
      onlyDependOnLibsWithTags: ['type:domain'],
      bannedExternalImports: infrastructurePackages,
    },
    { sourceTag: 'type:proto', onlyDependOnLibsWithTags: [] },
    {
      // The dashboard's pages run in a browser: nothing of the repo's server side.
      sourceTag: 'type:web',
      onlyDependOnLibsWithTags: [],
      bannedExternalImports: [...infrastructurePackages, 'fastify', '@fastify/*'],
    },
    {
      // Simulated traffic for tests, benchmarks and mbcli: pure, on domain types only.
      sourceTag: 'type:simulation',
      onlyDependOnLibsWithTags: ['type:domain'],
      bannedExternalImports: infrastructurePackages,
    },
    {
      // store-kv is the shared keyspace; the concrete backends build on it.
      sourceTag: 'type:adapter',
      onlyDependOnLibsWithTags: ['type:port', 'type:domain', 'adapter:keyspace'],
    },
    {
      sourceTag: 'type:server-kit',
      onlyDependOnLibsWithTags: ['type:domain', 'type:port', 'type:proto'],
      bannedExternalImports: ['etcd3', 'lmdb'],
    },
    inTests
      ? {
          sourceTag: 'type:service',
          onlyDependOnLibsWithTags: [
            'type:port',
            'type:domain',
            'type:proto',
            'type:server-kit',
            'type:adapter',
            'type:web',
            // The dashboard's tests serve a real QueryService to read from.
            'type:service',
          ],
        }
      : {
          // Services see stores only through the port, never a concrete adapter. The
          // dashboard's server shares its API types with its pages (type:web).
          sourceTag: 'type:service',
          onlyDependOnLibsWithTags: ['type:port', 'type:domain', 'type:proto', 'type:server-kit', 'type:web'],
          bannedExternalImports: ['etcd3', 'lmdb', '@oclif/*'],
        },
    {
      // What every server does: the stores and health, never another service. Apps name
      // the service parts they run, so a change to one service touches only its apps.
      sourceTag: 'type:runtime',
      onlyDependOnLibsWithTags: [
        'type:domain',
        'type:port',
        'type:proto',
        'type:adapter',
        'type:server-kit',
        'service:health',
      ],
    },
    {
      sourceTag: 'type:app',
      onlyDependOnLibsWithTags: [...allLibraryTags, 'type:runtime', 'type:simulation'],
    },
    {
      sourceTag: 'type:tools',
      onlyDependOnLibsWithTags: [...allLibraryTags, 'type:runtime', 'type:simulation', 'type:tools'],
    },
  ];
  if (!inTests) return constraints;
  return constraints.map((constraint) => ({
    ...constraint,
    onlyDependOnLibsWithTags: [...new Set([...constraint.onlyDependOnLibsWithTags, 'type:tools'])],
  }));
}

function moduleBoundaries({ inTests }) {
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow: [],
      banTransitiveDependencies: false,
      depConstraints: dependencyConstraints({ inTests }),
    },
  ];
}

const testFiles = ['**/*.test.ts', '**/test/**/*.ts'];

export default [
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/tmp/**',
      '**/.nx/**',
      '**/coverage/**',
      'libs/proto/src/generated/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': moduleBoundaries({ inTests: false }),
    },
  },
  {
    files: testFiles,
    rules: { '@nx/enforce-module-boundaries': moduleBoundaries({ inTests: true }) },
  },
  {
    // Test and build config files wire tooling together; layering applies to source.
    files: ['**/vitest.config.ts', '**/vite.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
];
