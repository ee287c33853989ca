import type { Server } from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

/**
 * What reflection describes: a proto-loader PackageDefinition, or the bytes of a
 * `google.protobuf.FileDescriptorSet` (what `buf build -o descriptors.binpb` writes).
 */
export type ProtoDescriptors = PackageDefinition | Uint8Array;

export interface ReflectionOptions {
  /** List only these services (full names); default: every service in the descriptors. */
  readonly services?: readonly string[];
}

/**
 * Adds gRPC server reflection (grpc.reflection.v1 and v1alpha) to a server, so
 * grpcurl and similar tools can list and call its services.
 */
export function addReflection(
  server: Pick<Server, 'addService'>,
  descriptors: ProtoDescriptors,
  options: ReflectionOptions = {},
): void {
  const packageDefinition =
    descriptors instanceof Uint8Array
      ? loadFileDescriptorSetFromBuffer(Buffer.from(descriptors))
      : descriptors;
  const reflection = new ReflectionService(
    packageDefinition,
    options.services === undefined ? undefined : { services: [...options.services] },
  );
  reflection.addToServer(server);
}
