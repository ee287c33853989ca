import { describe, expect, it } from 'vitest';
import { allPages } from './paged-lists';

describe('allPages', () => {
  it('follows next_page_token from the first page until it is empty', async () => {
    const pages: Record<string, { items: number[]; nextPageToken: string }> = {
      '': { items: [1, 2], nextPageToken: 'b' },
      b: { items: [3, 4], nextPageToken: 'c' },
      c: { items: [5], nextPageToken: '' },
    };
    const asked: string[] = [];
    const items = await allPages(
      async (token) => {
        asked.push(token);
        return pages[token]!;
      },
      (page) => page.items,
    );
    expect(items).toEqual([1, 2, 3, 4, 5]);
    expect(asked).toEqual(['', 'b', 'c']);
  });

  it('reads an answer without a token (a server from before paging) as the whole list', async () => {
    expect(
      await allPages(
        async () => ({ items: [7], nextPageToken: '' }),
        (page) => page.items,
      ),
    ).toEqual([7]);
  });

  it('stops with an error when the server repeats a token, rather than looping', async () => {
    await expect(
      allPages(
        async () => ({ items: [1], nextPageToken: 'same' }),
        (page) => page.items,
      ),
    ).rejects.toThrow('the server repeated page token same');
  });
});
