import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  credentials,
  loadPackageDefinition,
  status as GrpcStatus,
  type ClientDuplexStream,
  type GrpcObject,
} from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../test/echo-service';
import { startGrpcServer, type RunningGrpcServer } from './grpc-server';
import { addReflection, type ProtoDescriptors, type ReflectionOptions } from './reflection';

const TINY_PROTO = `
syntax = "proto3";
package tiny;
message Ping { string text = 1; }
service PingService { rpc Ping(Ping) returns (Ping); }
service AdminService { rpc Reset(Ping) returns (Ping); }
`;

/** The part of grpc/reflection/v1alpha/reflection.proto these tests speak (same names and numbers). */
const REFLECTION_CLIENT_PROTO = `
syntax = "proto3";
package grpc.reflection.v1alpha;
service ServerReflection {
  rpc ServerReflectionInfo(stream ServerReflectionRequest) returns (stream ServerReflectionResponse);
}
message ServerReflectionRequest {
  string host = 1;
  oneof message_request {
    string file_by_filename = 3;
    string file_containing_symbol = 4;
    string list_services = 7;
  }
}
message ServerReflectionResponse {
  string valid_host = 1;
  ServerReflectionRequest original_request = 2;
  oneof message_response {
    FileDescriptorResponse file_descriptor_response = 4;
    ListServiceResponse list_services_response = 6;
    ErrorResponse error_response = 7;
  }
}
message FileDescriptorResponse { repeated bytes file_descriptor_proto = 1; }
message ListServiceResponse { repeated ServiceResponse service = 1; }
message ServiceResponse { string name = 1; }
message ErrorResponse { int32 error_code = 1; string error_message = 2; }
`;

interface ReflectionResponse {
  listServicesResponse?: { service: Array<{ name: string }> };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

const directory = mkdtempSync(join(tmpdir(), 'server-kit-reflection-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function loadProto(fileName: string, text: string): PackageDefinition {
  const path = join(directory, fileName);
  writeFileSync(path, text);
  return loadSync(path, { oneofs: true });
}

/** A FileDescriptorSet (`repeated FileDescriptorProto file = 1`) encoded by hand, as `buf build -o` would write. */
function fileDescriptorSet(definition: PackageDefinition): Uint8Array {
  const files = new Set<Buffer>();
  for (const entry of Object.values(definition)) {
    if ('fileDescriptorProtos' in entry && Array.isArray(entry.fileDescriptorProtos)) {
      entry.fileDescriptorProtos.forEach((bytes: Buffer) => files.add(bytes));
    }
  }
  const chunks: Buffer[] = [];
  for (const file of files) {
    chunks.push(Buffer.from([0x0a]), varint(file.length), file);
  }
  return Buffer.concat(chunks);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

const servers: RunningGrpcServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.shutdown(0)));
});

async function ask(
  descriptors: ProtoDescriptors,
  requests: ReadonlyArray<Record<string, string>>,
  options?: ReflectionOptions,
): Promise<ReflectionResponse[]> {
  const running = await startGrpcServer({
    name: 'grpc.reflection.v1.ServerReflection',
    address: { host: '127.0.0.1', port: 0 },
    services: [{ addToServer: (server) => addReflection(server, descriptors, options) }],
    logger: memoryLogger().logger,
  });
  servers.push(running);
  const reflectionPackage = loadPackageDefinition(
    loadProto('reflection-client.proto', REFLECTION_CLIENT_PROTO),
  );
  const v1alpha = ((reflectionPackage['grpc'] as GrpcObject)['reflection'] as GrpcObject)[
    'v1alpha'
  ] as GrpcObject;
  const ServerReflection = v1alpha['ServerReflection'] as unknown as new (
    target: string,
    channelCredentials: ReturnType<typeof credentials.createInsecure>,
  ) => { ServerReflectionInfo(): ClientDuplexStream<unknown, ReflectionResponse>; close(): void };
  const client = new ServerReflection(`127.0.0.1:${running.port}`, credentials.createInsecure());
  try {
    const stream = client.ServerReflectionInfo();
    const responses = new Promise<ReflectionResponse[]>((resolve, reject) => {
      const received: ReflectionResponse[] = [];
      stream.on('data', (response: ReflectionResponse) => received.push(response));
      stream.on('error', reject);
      stream.on('end', () => resolve(received));
    });
    requests.forEach((request) => stream.write(request));
    stream.end();
    return await responses;
  } finally {
    client.close();
  }
}

function serviceNames(response: ReflectionResponse | undefined): string[] {
  return (response?.listServicesResponse?.service ?? []).map((service) => service.name).sort();
}

describe('addReflection', () => {
  const tiny = loadProto('tiny.proto', TINY_PROTO);

  it('lists the services of a proto-loader PackageDefinition and serves their descriptors', async () => {
    const [listed, file] = await ask(tiny, [
      { listServices: '*' },
      { fileContainingSymbol: 'tiny.PingService' },
    ]);
    expect(serviceNames(listed)).toEqual(['tiny.AdminService', 'tiny.PingService']);
    const descriptors = file?.fileDescriptorResponse?.fileDescriptorProto ?? [];
    expect(descriptors.length).toBeGreaterThan(0);
    expect(Buffer.concat(descriptors).toString('latin1')).toContain('PingService');
  });

  it('accepts the bytes of a FileDescriptorSet', async () => {
    const [listed] = await ask(fileDescriptorSet(tiny), [{ listServices: '*' }]);
    expect(serviceNames(listed)).toEqual(['tiny.AdminService', 'tiny.PingService']);
  });

  it('lists only the chosen services when told', async () => {
    const [listed] = await ask(tiny, [{ listServices: '*' }], { services: ['tiny.PingService'] });
    expect(serviceNames(listed)).toEqual(['tiny.PingService']);
  });

  it('answers NOT_FOUND for an unknown symbol', async () => {
    const [answer] = await ask(tiny, [{ fileContainingSymbol: 'tiny.Missing' }]);
    expect(answer?.errorResponse?.errorCode).toBe(GrpcStatus.NOT_FOUND);
  });
});
