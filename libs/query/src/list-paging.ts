import { parseDetectorId, ValidationError } from '@message-bus/domain';

/** Which list a page token walks; a token of one is refused by the others. */
export type PagedList = 'detectors' | 'links' | 'routes' | 'alerts';

/** The RPC that walks each list, for the refusal of another's token. */
const RPC_OF_LIST: Readonly<Record<PagedList, string>> = {
  detectors: 'ListDetectors',
  links: 'ListLinks',
  routes: 'ListRoutes',
  alerts: 'ListAlerts',
};

/**
 * An alert's position in ListAlerts' order (newest start first, then by id) as a text that
 * sorts the same way: the start subtracted from the largest int64, zero-padded, then the id.
 */
const ALERT_POSITION = /^\d{19}:\P{Cc}{1,200}$/u;

/** A page request of a paged list RPC as the wire gives it. */
export interface PageRequestInput {
  /** 0 means the default. */
  readonly pageSize: number;
  /** Empty for the first page. */
  readonly pageToken: string;
}

/**
 * A validated page request: how many, and after which position (none for the first
 * page): a detector id, route name, or `alertPosition`.
 */
export interface PageRequest {
  readonly size: number;
  readonly after?: string;
}

/** One page of a list, and the token of the next (undefined on the last page). */
export interface Page<Item> {
  readonly items: Item[];
  readonly nextPageToken?: string;
}

/**
 * Tokens are the list's name, a version and the last position listed, base64url-encoded:
 * opaque to clients (the proto says so), a position rather than an offset, so a walk
 * neither repeats nor skips a detector when others are created or deleted before it.
 */
const TOKEN_VERSION = '1';
const SEPARATOR = ':';

export function encodePageToken(list: PagedList, lastPosition: string): string {
  return Buffer.from([list, TOKEN_VERSION, lastPosition].join(SEPARATOR), 'utf8').toString('base64url');
}

/** An alert's position in ListAlerts' order, a text `compareIds` sorts newest start first, then by id. */
export function alertPosition(start: bigint, id: string): string {
  return `${(INT64_MAX - start).toString().padStart(19, '0')}${SEPARATOR}${id}`;
}

const INT64_MAX = 2n ** 63n - 1n;

/** `page_size` (0: `defaultSize`) and `page_token` checked; throws a ValidationError naming the field. */
export function parsePageRequest(
  list: PagedList,
  input: PageRequestInput,
  sizes: { readonly defaultSize: number; readonly maxSize: number },
): PageRequest {
  const { pageSize, pageToken } = input;
  if (!Number.isSafeInteger(pageSize) || pageSize < 0 || pageSize > sizes.maxSize) {
    throw new ValidationError(
      'out_of_range',
      'page_size',
      `must be 0 (the default, ${sizes.defaultSize}) to ${sizes.maxSize}, got ${pageSize}`,
    );
  }
  const size = pageSize === 0 ? sizes.defaultSize : pageSize;
  if (pageToken === '') return { size };
  return { size, after: decodePageToken(list, pageToken) };
}

function decodePageToken(list: PagedList, token: string): string {
  const malformed = () =>
    new ValidationError(
      'unknown_value',
      'page_token',
      `is not a next_page_token of ${RPC_OF_LIST[list]}; send one unchanged, or empty for the first page`,
    );
  // base64url decoding skips what it cannot read; a token that does not round-trip was not ours.
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (Buffer.from(text, 'utf8').toString('base64url') !== token) throw malformed();
  const prefix = `${list}${SEPARATOR}${TOKEN_VERSION}${SEPARATOR}`;
  if (!text.startsWith(prefix)) throw malformed();
  const position = text.slice(prefix.length);
  if (list === 'alerts') {
    if (!ALERT_POSITION.test(position)) throw malformed();
    return position;
  }
  try {
    // Route names follow the detector-id rules.
    return parseDetectorId(position, 'page_token');
  } catch {
    throw malformed();
  }
}

/**
 * The page of `sorted` (ascending by `idOf` as `compareIds` orders, ids distinct) after
 * `request.after`, with the next token when more follow.
 */
export function pageOf<Item>(
  list: PagedList,
  sorted: readonly Item[],
  idOf: (item: Item) => string,
  request: PageRequest,
): Page<Item> {
  const { after } = request;
  const start = after === undefined ? 0 : firstAfter(sorted, idOf, after);
  const items = sorted.slice(start, start + request.size);
  const last = items.at(-1);
  const more = start + items.length < sorted.length;
  return {
    items,
    ...(more && last !== undefined ? { nextPageToken: encodePageToken(list, idOf(last)) } : {}),
  };
}

/** Index of the first item whose id sorts after `after` (binary search). */
function firstAfter<Item>(sorted: readonly Item[], idOf: (item: Item) => string, after: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareIds(idOf(sorted[middle]!), after) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The order pages follow: ids as JavaScript compares strings, the order the link
 * repository sorts by. The service sorts by it itself rather than trust a store's key
 * order, which differs (`a-b/...` sorts before `a/...`).
 */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
