#!/usr/bin/env node
// Builds the e2e bench's native (Go) tools: mb-loadgen, the load generator, and
// mb-oneput, the original's one-put-per-sighting server (see README.md here).
//
//   node tools/bench/native/build.mjs [--out-dir dir]    (default: bench-results/native)
//
// Prints one JSON line on stdout, `{"loadGenerator": path, "onePutServer": path}`;
// progress goes to stderr. Needs go, protoc and protoc-gen-go (Debian's golang and
// protobuf packages, GOPATH mode, offline); `npm test` never runs it.
//
// The Go stubs of proto/ are generated here, at build time, into the build folder and
// never committed: like the binaries they are bench-only build products that nothing in
// the product imports, and committing them would make every proto change need Go to keep
// them fresh. The project's rule that generated code is committed is for the product's
// code (libs/proto), which `npm test` and the apps use without any generator.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import process from 'node:process';

const here = import.meta.dirname;
const workspaceRoot = resolve(here, '../..', '..');

/** Debian's Go sources (golang-google-grpc-dev, golang-etcd-server-dev, golang-goprotobuf-dev). */
const DEBIAN_GOPATH = '/usr/share/gocode';
/** Where protoc finds google/protobuf/*.proto (libprotobuf-dev). */
const PROTOBUF_INCLUDE = '/usr/include';
/** The import path of the tools' own packages inside the build folder's GOPATH. */
const MODULE = 'mbbench';

const outIndex = process.argv.indexOf('--out-dir');
const outDir = resolve(workspaceRoot, outIndex >= 0 ? process.argv[outIndex + 1] : 'bench-results/native');
const log = (line) => process.stderr.write(`${line}\n`);

const gopath = join(outDir, 'gopath');
const source = join(gopath, 'src', MODULE);
const protoDir = join(outDir, 'proto');
const binDir = join(outDir, 'bin');
rmSync(gopath, { recursive: true, force: true });
rmSync(protoDir, { recursive: true, force: true });
mkdirSync(binDir, { recursive: true });
mkdirSync(protoDir, { recursive: true });

// protoc-gen-go here is golang/protobuf 1.3's (the API Debian's grpc 1.33 and etcd 3.4 are
// built on), which predates proto3 `optional`. Only query.proto's travel-time figures use
// it; dropping the keyword keeps every field's number and wire type, so the stubs read and
// write the same bytes (only presence tracking of those fields is lost, which the tools
// never look at).
writeFileSync(join(protoDir, 'collector.proto'), readFileSync(join(workspaceRoot, 'proto/collector.proto')));
writeFileSync(
  join(protoDir, 'query.proto'),
  readFileSync(join(workspaceRoot, 'proto/query.proto'), 'utf8').replace(/^(\s*)optional /gm, '$1'),
);
const packages = {
  'collector.proto': `${MODULE}/pb/collector`,
  'query.proto': `${MODULE}/pb/query`,
  // golang/protobuf 1.3's well-known types, not APIv2's, so grpc 1.33's codec marshals them.
  'google/protobuf/timestamp.proto': 'github.com/golang/protobuf/ptypes/timestamp',
  'google/protobuf/empty.proto': 'github.com/golang/protobuf/ptypes/empty',
};
const mappings = Object.entries(packages)
  .map(([file, importPath]) => `M${file}=${importPath}`)
  .join(',');
for (const name of ['collector', 'query']) {
  const target = join(source, 'pb', name);
  mkdirSync(target, { recursive: true });
  log(`protoc: ${name}.proto -> ${target}`);
  // One package per protoc run: golang/protobuf 1.3's generator refuses two at once.
  execFileSync(
    'protoc',
    [
      `-I${protoDir}`,
      `-I${PROTOBUF_INCLUDE}`,
      `--go_out=plugins=grpc,paths=source_relative,${mappings}:${target}`,
      `${name}.proto`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
}
for (const name of ['sightings', 'loadgen', 'oneput']) {
  cpSync(join(here, name), join(source, name), { recursive: true });
}

const env = {
  ...process.env,
  GO111MODULE: 'off',
  GOPATH: `${gopath}:${DEBIAN_GOPATH}`,
  GOPROXY: 'off',
  GOFLAGS: '',
  CGO_ENABLED: '0',
};
const binaries = { loadGenerator: join(binDir, 'mb-loadgen'), onePutServer: join(binDir, 'mb-oneput') };
for (const [name, binary] of [
  ['loadgen', binaries.loadGenerator],
  ['oneput', binaries.onePutServer],
]) {
  log(`go build ${MODULE}/${name} -> ${binary}`);
  // go's own build cache (GOCACHE) makes a rebuild of unchanged sources take about a second.
  execFileSync('go', ['build', '-o', binary, `${MODULE}/${name}`], {
    cwd: source,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
process.stdout.write(`${JSON.stringify(binaries)}\n`);
