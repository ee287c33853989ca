import type { Pseudonym } from '@message-bus/domain';
import { createHmac, randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Which device ids a query answer carries: the stored pseudonyms, for clients allowed
 * them, or ids that hold within that one answer (`AnswerLocalDeviceIds`). See docs/privacy.md.
 */
export type DeviceIdDisclosure = 'pseudonyms' | 'answer_local';

/** A stored pseudonym's length: 16 bytes in base64url. Answer-local ids look the same. */
const ID_LENGTH = 22;

/** Ids worked out between two turns of the event loop, about 20 ms of HMAC. */
const IDS_PER_TURN = 10_000;

/**
 * Ids remembered per answer. A live stream may run for days; past this many distinct
 * devices the memo starts afresh, which changes nothing but the work.
 */
const MEMO_LIMIT = 65_536;

/**
 * Device ids that hold within one answer only: HMAC-SHA256 of the stored pseudonym
 * under a key drawn at random for the answer and never kept or sent, cut to a
 * pseudonym's 22 base64url characters. Two sightings of one device in one answer share
 * an id, so counting and matching inside the answer work. No id is a stored pseudonym,
 * and ids of two answers cannot be joined, so a client cannot follow a device from one
 * answer to the next or test a candidate device against the store.
 *
 * One instance per answer: a unary answer, or one stream for as long as it runs.
 */
export class AnswerLocalDeviceIds {
  readonly #key = randomBytes(32);
  readonly #memo = new Map<string, Pseudonym>();

  /** The answer-local id of `pseudonym`: a pseudonym of it, under a key that lives for one answer. */
  idOf(pseudonym: string): Pseudonym {
    const known = this.#memo.get(pseudonym);
    if (known !== undefined) return known;
    const id = createHmac('sha256', this.#key)
      .update(pseudonym, 'utf8')
      .digest('base64url')
      .slice(0, ID_LENGTH) as Pseudonym;
    if (this.#memo.size >= MEMO_LIMIT) this.#memo.clear();
    this.#memo.set(pseudonym, id);
    return id;
  }

  /**
   * `idOf` of each, in order. A GetEvents answer may hold half a million groups, a
   * second of HMAC, so the event loop gets a turn between slices.
   */
  async idsOf(pseudonyms: readonly string[]): Promise<string[]> {
    const ids: string[] = [];
    for (let start = 0; start < pseudonyms.length; start += IDS_PER_TURN) {
      if (start > 0) await nextTurn();
      for (const pseudonym of pseudonyms.slice(start, start + IDS_PER_TURN)) ids.push(this.idOf(pseudonym));
    }
    return ids;
  }
}
