import { ConfigError, presentsBearerToken } from '@message-bus/server-kit';
import type { QueryAccess } from './query-grpc-handlers';

/** The query port's bearer tokens, as configured (unset: absent or undefined). */
export interface QueryTokens {
  readonly query_token?: string | undefined;
  readonly query_pseudonym_token?: string | undefined;
}

/**
 * Refuses a pseudonym token on a query port open to everyone (see docs/privacy.md).
 * That no two tokens of a server are equal is checked by the server for all its parts.
 *
 * @throws ConfigError naming the options, never their values
 */
export function checkQueryTokens(tokens: QueryTokens): void {
  if (tokens.query_pseudonym_token !== undefined && tokens.query_token === undefined) {
    throw new ConfigError(
      'query_pseudonym_token needs query_token: without it the query port is open to every client',
      { option: 'query_pseudonym_token' },
    );
  }
}

/** The tokens the query port admits: the query token and, when set, the pseudonym token. */
export function queryPortTokens(tokens: QueryTokens): string[] {
  return [tokens.query_token, tokens.query_pseudonym_token].filter((token) => token !== undefined);
}

/**
 * Who on the query port is shown stored pseudonyms. A port without a token serves
 * everyone alike, pseudonyms included (a loopback or trusted network; the server warns
 * otherwise). With query_token set, only callers presenting query_pseudonym_token see
 * them; the rest get ids that hold within one answer.
 */
export function queryAccessFor(tokens: QueryTokens): QueryAccess {
  if (tokens.query_token === undefined) return { deviceIdsFor: () => 'pseudonyms' };
  const pseudonymToken = tokens.query_pseudonym_token;
  if (pseudonymToken === undefined) return { deviceIdsFor: () => 'answer_local' };
  const holdsPseudonymToken = presentsBearerToken(pseudonymToken);
  return {
    deviceIdsFor: (metadata) => (holdsPseudonymToken(metadata) ? 'pseudonyms' : 'answer_local'),
  };
}
