import { Metadata } from '@grpc/grpc-js';
import { ConfigError } from '@message-bus/server-kit';
import { describe, expect, it } from 'vitest';
import { checkServerTokens, queryAccessFor, queryPortTokens } from './query-access';

const bearer = (token: string): Metadata => {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
};

describe('checkServerTokens', () => {
  it('refuses any two equal tokens, naming the options and never the token', () => {
    const cases = [
      { collector_token: 'same', query_token: 'same' },
      { query_token: 'same', query_pseudonym_token: 'same' },
      { collector_token: 'same', query_token: 'other', query_pseudonym_token: 'same' },
    ];
    const messages = cases.map((tokens) => {
      try {
        checkServerTokens(tokens);
        return 'accepted';
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
    });
    expect(messages).toEqual([
      'collector_token and query_token are the same token: a client holding one would act as both; give each its own',
      'query_token and query_pseudonym_token are the same token: a client holding one would act as both; give each its own',
      'collector_token and query_pseudonym_token are the same token: a client holding one would act as both; give each its own',
    ]);
  });

  it('refuses a pseudonym token on a query port without a query token', () => {
    expect(() => checkServerTokens({ query_pseudonym_token: 'scope' })).toThrow(
      'query_pseudonym_token needs query_token: without it the query port is open to every client',
    );
  });

  it('accepts distinct tokens, and none at all', () => {
    expect(() =>
      checkServerTokens({ collector_token: 'c', query_token: 'q', query_pseudonym_token: 'p' }),
    ).not.toThrow();
    expect(() => checkServerTokens({})).not.toThrow();
  });
});

describe('queryAccessFor', () => {
  it('shows pseudonyms to everyone on an open port, to nobody with only a query token', () => {
    expect(queryAccessFor({}).deviceIdsFor(new Metadata())).toBe('pseudonyms');
    const queryOnly = queryAccessFor({ query_token: 'q' });
    expect(queryOnly.deviceIdsFor(bearer('q'))).toBe('answer_local');
    expect(queryPortTokens({ query_token: 'q' })).toEqual(['q']);
  });

  it('shows pseudonyms only to holders of the pseudonym token when one is set', () => {
    const tokens = { query_token: 'q', query_pseudonym_token: 'p' };
    const access = queryAccessFor(tokens);
    expect([access.deviceIdsFor(bearer('p')), access.deviceIdsFor(bearer('q'))]).toEqual([
      'pseudonyms',
      'answer_local',
    ]);
    expect(queryPortTokens(tokens)).toEqual(['q', 'p']);
  });
});
