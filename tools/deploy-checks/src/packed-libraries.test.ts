import { collector as workspaceCollector, FILE_DESCRIPTOR_SET_BASE64 } from '@message-bus/proto';
import { Pseudonymiser, parseRawDeviceId } from '@message-bus/domain';
import { etcdEndpoints } from '@message-bus/tools/etcd';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consumerMasterSecret,
  consumerPrivacyKey,
  consumerRawDeviceIds,
  consumerSightingTimes,
  embeddedStoreProgram,
  etcdStoreProgram,
  exportsProgram,
  packedEntryPoints,
  protoProgram,
  typescriptConsumer,
} from './packed-libraries-programs';
import {
  expectedPackageFiles,
  installedVersion,
  mapSourcesOutsideTarball,
  packedManifest,
  packLibraries,
  publishableLibraries,
  run,
  type PackedLibrary,
} from './packed-libraries';
import { readmeExamples } from './readme-examples';
import { workspaceRoot } from './workspace';

// Everything happens outside the workspace, so nothing resolves through its node_modules.
const outside = mkdtempSync(join(tmpdir(), 'packed-libraries-'));
const consumer = join(outside, 'consumer');
afterAll(() => rmSync(outside, { recursive: true, force: true, maxRetries: 3 }));

let packed: PackedLibrary[] = [];
let entryPointReportCache: EntryPointReport | undefined;

type EntryPointReport = Record<string, { file: string; required?: string[]; missingFromImport?: string[] }>;

/** What exports.mjs sees of each entry point, run once in the consumer project. */
function entryPointReport(): EntryPointReport {
  if (!entryPointReportCache) {
    const result = run(process.execPath, ['exports.mjs'], consumer);
    if (result.status !== 0) throw new Error(`exports.mjs failed:\n${result.stderr}`);
    entryPointReportCache = JSON.parse(result.stdout) as EntryPointReport;
  }
  return entryPointReportCache;
}
/** Strict tsc over `files` in the consumer project, resolving only the installed tarballs. */
function typeCheckInConsumer(files: readonly string[]): { status: number | null; output: string } {
  const tsc = join(workspaceRoot, 'node_modules/typescript/bin/tsc');
  const options = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext'];
  const result = run(
    process.execPath,
    [tsc, ...options, '--target', 'es2022', '--types', 'node', ...files],
    consumer,
    120_000,
  );
  return { status: result.status, output: result.stdout + result.stderr };
}

beforeAll(() => {
  packed = packLibraries(outside);
}, 120_000);

describe.each(publishableLibraries)('the packed @message-bus/%s', (library) => {
  const pack = () => {
    const found = packed.find((entry) => entry.name === `@message-bus/${library}`);
    if (!found) throw new Error(`npm pack produced no tarball for @message-bus/${library}`);
    return found;
  };

  it('holds each source module with its JavaScript, declarations and maps, its README and package.json, and nothing else', () => {
    expect(
      pack()
        .files.map((file) => file.path)
        .sort(),
    ).toEqual(expectedPackageFiles(library));
  });

  it('points main, types and every export condition into the tarball', () => {
    const manifest = packedManifest(outside, pack()) as {
      main: string;
      types: string;
      exports: Record<string, Record<string, string>>;
    };
    const shipped = new Set(pack().files.map((file) => `./${file.path}`));
    const targets = [
      manifest.main,
      manifest.types,
      ...Object.values(manifest.exports).flatMap((conditions) => Object.values(conditions)),
    ];
    expect(targets.length).toBeGreaterThan(2);
    expect(targets.filter((target) => !shipped.has(target))).toEqual([]);
  });

  it("has a package.json without the workspace's source condition, scripts, nx block or dev dependencies", () => {
    const manifest = packedManifest(outside, pack());
    const workspaceManifest = JSON.parse(
      readFileSync(join(workspaceRoot, 'libs', library, 'package.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(workspaceManifest['scripts']).toBeDefined();
    for (const key of ['scripts', 'nx', 'devDependencies']) expect(manifest).not.toHaveProperty(key);
    expect(JSON.stringify(manifest['exports'])).not.toContain('@message-bus/source');
    for (const key of ['name', 'version', 'license', 'engines', 'main', 'types', 'dependencies']) {
      expect(manifest[key]).toEqual(workspaceManifest[key]);
    }
  });

  it('names in its source maps only sources that ship with it', () => {
    expect(mapSourcesOutsideTarball(library, pack())).toEqual([]);
  });
});

describe('a fresh project outside the workspace that installs the six tarballs', () => {
  beforeAll(() => {
    mkdirSync(consumer);
    const manifest = {
      name: 'packed-libraries-consumer',
      version: '1.0.0',
      private: true,
      type: 'commonjs',
      dependencies: {
        ...Object.fromEntries(packed.map((entry) => [entry.name, `file:../${entry.filename}`])),
        '@grpc/grpc-js': installedVersion('@grpc/grpc-js'),
      },
      devDependencies: { '@types/node': installedVersion('@types/node') },
    };
    writeFileSync(join(consumer, 'package.json'), JSON.stringify(manifest, null, 2));
    writeFileSync(join(consumer, 'etcd-store.mjs'), etcdStoreProgram);
    writeFileSync(join(consumer, 'embedded-store.js'), embeddedStoreProgram);
    writeFileSync(join(consumer, 'proto.js'), protoProgram);
    writeFileSync(join(consumer, 'exports.mjs'), exportsProgram);
    writeFileSync(join(consumer, 'consumer.ts'), typescriptConsumer);
    writeFileSync(join(consumer, 'consumer.mts'), typescriptConsumer);
    const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], consumer, 240_000);
    if (install.status !== 0) throw new Error(`npm install failed:\n${install.stderr}`);
  }, 300_000);

  it('installs one copy of each library from its tarball, so the libraries share their errors and types', () => {
    const installed = publishableLibraries.map((library) => {
      const folder = join(consumer, 'node_modules/@message-bus', library);
      return {
        library,
        copied: lstatSync(folder).isDirectory(),
        version: (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { version: string })
          .version,
        nestedCopies: existsSync(join(folder, 'node_modules/@message-bus')),
      };
    });
    expect(installed).toEqual(
      publishableLibraries.map((library) => ({
        library,
        copied: true,
        version: '0.1.0',
        nestedCopies: false,
      })),
    );
  });

  it('imports every entry point from ESM and CommonJS alike, and resolves the testing subpaths', () => {
    const entryPoints = entryPointReport();
    expect(Object.keys(entryPoints)).toEqual([...packedEntryPoints]);
    for (const [entryPoint, { file, missingFromImport }] of Object.entries(entryPoints)) {
      const testing = entryPoint.endsWith('/testing');
      expect({ entryPoint, file, missingFromImport }).toEqual({
        entryPoint,
        file: `node_modules/${entryPoint.replace(/\/testing$/, '')}/dist/${testing ? 'testing/index.js' : 'index.js'}`,
        missingFromImport: testing ? undefined : [],
      });
    }
  });

  it.each(publishableLibraries)(
    '@message-bus/%s exports at runtime what its source exports',
    async (library) => {
      // Resolves to the workspace's TypeScript source (the `@message-bus/source` condition).
      const sourceNames = Object.keys((await import(`@message-bus/${library}`)) as object).sort();
      expect(entryPointReport()[`@message-bus/${library}`]?.required).toEqual(sourceNames);
    },
  );

  it("uses the etcd store through the port with the servers' key text: appends, lists back exactly, stores a link, refuses a bad range", () => {
    const prefix = `packed${Date.now().toString(36)}`;
    const endpoint = etcdEndpoints()[0] ?? '';
    const result = run(process.execPath, ['etcd-store.mjs', endpoint, prefix, consumerPrivacyKey], consumer);
    expect(result.stderr).toBe('');
    const pseudonymiser = new Pseudonymiser({
      masterSecret: consumerMasterSecret,
      rotation: { kind: 'never' },
      overlapSeconds: 0,
    });
    expect(JSON.parse(result.stdout)).toEqual({
      health: { reachable: true },
      events: consumerRawDeviceIds.map((rawId, index) => {
        const time = consumerSightingTimes[index] ?? 0n;
        return {
          deviceId: pseudonymiser.pseudonymsAt('wifi', parseRawDeviceId(rawId), time).current,
          time: String(time),
        };
      }),
      links: [{ destination: 'gate-north', source: 'gate-south', maxSeconds: 600 }],
      refusal: {
        isPortError: true,
        code: 'invalid_argument',
        message: 'range: after (2) is later than before (1); after is inclusive, before exclusive',
      },
    });
    expect(result.stdout).not.toContain(consumerRawDeviceIds[0]);
  });

  it('uses the embedded store: what was written before close is read after reopening', () => {
    const result = run(process.execPath, ['embedded-store.js', join(outside, 'embedded-store')], consumer);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      health: { reachable: true },
      newest: [{ deviceId: 'BBBBBBBBBBBBBBBBBBBBBB', time: '1700000060000000002' }],
      links: [{ destination: 'gate-north', source: 'gate-south', maxSeconds: 600 }],
    });
  });

  it('encodes, decodes and sends proto messages through the generated client and service', () => {
    const result = run(process.execPath, ['proto.js'], consumer);
    expect(result.stderr).toBe('');
    const eventLog = workspaceCollector.EventLog.fromPartial({
      loc: { detectorId: 'gate-north', latitude: 5232000n, longitude: 1320000n },
      events: [
        {
          time: [{ seconds: 1700000000n, nanos: 1 }],
          deviceId: { $case: 'wifi', value: 'a4:5e:60:e8:11:2f' },
        },
      ],
    });
    const asJson = workspaceCollector.EventLog.toJSON(eventLog);
    expect(JSON.parse(result.stdout)).toEqual({
      encodedHex: Buffer.from(workspaceCollector.EventLog.encode(eventLog).finish()).toString('hex'),
      decoded: asJson,
      createEventLog: 'ok',
      received: asJson,
      descriptorSetBase64: FILE_DESCRIPTOR_SET_BASE64,
    });
  });

  it('type-checks a strict TypeScript consumer against the declarations, as CommonJS and as ESM', () => {
    expect(typeCheckInConsumer(['consumer.ts', 'consumer.mts'])).toEqual({ status: 0, output: '' });
  }, 150_000);

  it("type-checks every TypeScript example of the README and the libraries' READMEs against the declarations", () => {
    const examples = readmeExamples();
    mkdirSync(join(consumer, 'readme-examples'));
    for (const { fileName, code } of examples)
      writeFileSync(join(consumer, 'readme-examples', fileName), code);
    expect(examples.map(({ fileName }) => fileName)).toContain('README-1.mts');
    expect(typeCheckInConsumer(examples.map(({ fileName }) => join('readme-examples', fileName)))).toEqual({
      status: 0,
      output: '',
    });
  }, 150_000);
});
