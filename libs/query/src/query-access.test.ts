import { Metadata } from '@grpc/grpc-js';
import { ConfigError } from '@message-bus/server-kit';
import { describe, expect, it } from 'vitest';
import { checkQueryTokens, queryAccessFor, queryPortTokens } from './query-access';

const bearer = (token: string): Metadata => {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
};

describe('checkQueryTokens', () => {
  it('refuses a pseudonym token on a query port without a query token', () => {
    let error: unknown;
    try {
      checkQueryTokens({ query_pseudonym_token: 'scope' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({
      message: 'query_pseudonym_token needs query_token: without it the query port is open to every client',
      option: 'query_pseudonym_token',
    });
  });

  it('accepts both tokens, only the query token, and none at all', () => {
    expect(() => checkQueryTokens({ query_token: 'q', query_pseudonym_token: 'p' })).not.toThrow();
    expect(() => checkQueryTokens({ query_token: 'q' })).not.toThrow();
    expect(() => checkQueryTokens({})).not.toThrow();
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
