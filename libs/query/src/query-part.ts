import { defineOptions, defineServerPart } from '@message-bus/server-kit';
import { checkQueryTokens, queryAccessFor, queryPortTokens } from './query-access';
import { queryGrpcService } from './query-grpc-handlers';
import { QueryService } from './query-service';

export const queryServerOptions = defineOptions([
  {
    name: 'query_port',
    kind: 'address',
    default: ':8000',
    description: 'gRPC address of the query service.',
  },
  {
    name: 'query_token',
    kind: 'string',
    secret: true,
    bearerToken: true,
    nonEmpty: true,
    description:
      'Bearer token query clients must send (authorization: Bearer <token>); unset means no auth, empty is an error.',
  },
  {
    name: 'query_pseudonym_token',
    kind: 'string',
    secret: true,
    bearerToken: true,
    nonEmpty: true,
    description:
      'Bearer token of query clients allowed the stored device pseudonyms (needs query_token); with query_token set, other clients get device ids that hold within one answer only. See docs/privacy.md.',
  },
]);

/** `query.QueryService` on `query_port`: what clients read back. */
export const queryPart = defineServerPart({
  name: 'query',
  options: queryServerOptions,
  grpcService: { name: 'query.QueryService', writes: false },
  prepare(config, store) {
    checkQueryTokens(config);
    return {
      start({ repository, logger }) {
        const service = new QueryService({
          repository,
          logger,
          eventRetentionSeconds: store.eventRetentionSeconds,
        });
        return {
          service: {
            portOption: 'query_port',
            address: config.query_port,
            registration: queryGrpcService(service, logger, queryAccessFor(config)),
            tokens: queryPortTokens(config),
          },
        };
      },
    };
  },
});
