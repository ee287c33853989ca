import {
  Metadata,
  ServerInterceptingCall,
  status as GrpcStatus,
  type ServerInterceptor,
  type ServiceDefinition,
} from '@grpc/grpc-js';

/**
 * grpc-js answers a request message its deserializer throws on with INTERNAL "Error
 * deserializing request", blaming the server for the client's bytes. These two parts
 * make it INVALID_ARGUMENT: the definition's deserializers hand an `UndecodableRequest`
 * on instead of throwing, and the interceptor answers it before any handler sees it.
 */

/** What a request deserializer produced from bytes that are not a valid message. */
class UndecodableRequest {
  constructor(readonly reason: string) {}
}

/** `definition` with request deserializers that return an `UndecodableRequest` instead of throwing. */
export function withTolerantDeserializers(definition: ServiceDefinition): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => [
      name,
      {
        ...method,
        requestDeserialize: (bytes: Buffer): unknown => {
          try {
            return method.requestDeserialize(bytes);
          } catch (error) {
            return new UndecodableRequest(error instanceof Error ? error.message : String(error));
          }
        },
      },
    ]),
  );
}

/**
 * Answers an undecodable request message with INVALID_ARGUMENT naming the method and
 * the decoder's reason, e.g. `/collector.CollectorService/CreateEventLog: the request
 * message cannot be decoded (index out of range: 3 + 10 > 5)`. List it after the
 * other interceptors, so metrics count the status and a token is checked first.
 */
export const undecodableRequestInterceptor: ServerInterceptor = (method, call) =>
  new ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMessage: (message, forward) => {
          if (message instanceof UndecodableRequest) {
            call.sendStatus({
              code: GrpcStatus.INVALID_ARGUMENT,
              details: `${method.path}: the request message cannot be decoded (${message.reason})`,
              metadata: new Metadata(),
            });
          } else {
            forward(message);
          }
        },
      }),
  });
