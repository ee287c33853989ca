import type { QueryAccess } from '@message-bus/query';
import { ConfigError, presentsBearerToken } from '@message-bus/server-kit';

/** The bearer tokens a server may be given; those of roles it does not serve are absent. */
export interface ServerTokens {
  readonly collector_token?: string | undefined;
  readonly query_token?: string | undefined;
  readonly query_pseudonym_token?: string | undefined;
}

/**
 * Refuses token settings that would let one kind of client act as another (see
 * docs/privacy.md): any two tokens equal, or a pseudonym token on a query port open
 * to everyone. A split deployment cannot compare its processes' tokens; the chart and
 * compose files give each its own secret.
 *
 * @throws ConfigError naming the options, never their values
 */
export function checkServerTokens(tokens: ServerTokens): void {
  const named = Object.entries(tokens).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  for (const [index, [name, token]] of named.entries()) {
    const twin = named.slice(index + 1).find(([, other]) => other === token);
    if (twin !== undefined) {
      throw new ConfigError(
        `${name} and ${twin[0]} are the same token: a client holding one would act as both; give each its own`,
        { option: twin[0] },
      );
    }
  }
  if (tokens.query_pseudonym_token !== undefined && tokens.query_token === undefined) {
    throw new ConfigError(
      'query_pseudonym_token needs query_token: without it the query port is open to every client',
      { option: 'query_pseudonym_token' },
    );
  }
}

/** The tokens the query port admits: the query token and, when set, the pseudonym token. */
export function queryPortTokens(tokens: ServerTokens): string[] {
  return [tokens.query_token, tokens.query_pseudonym_token].filter((token) => token !== undefined);
}

/**
 * Who on the query port is shown stored pseudonyms. A port without a token serves
 * everyone alike, pseudonyms included (a loopback or trusted network; the server warns
 * otherwise). With query_token set, only callers presenting query_pseudonym_token see
 * them; the rest get ids that hold within one answer.
 */
export function queryAccessFor(tokens: ServerTokens): QueryAccess {
  if (tokens.query_token === undefined) return { deviceIdsFor: () => 'pseudonyms' };
  const pseudonymToken = tokens.query_pseudonym_token;
  if (pseudonymToken === undefined) return { deviceIdsFor: () => 'answer_local' };
  const holdsPseudonymToken = presentsBearerToken(pseudonymToken);
  return {
    deviceIdsFor: (metadata) => (holdsPseudonymToken(metadata) ? 'pseudonyms' : 'answer_local'),
  };
}
