import type { DetectorId, DetectorLink } from '@message-bus/domain';
import type { LinkRepository } from '@message-bus/repository';
import { checkIdSegment, prefixEnd } from '../keys/key-segment';
import { decodeLinkValue, encodeLinkValue } from '../values/link-value';
import { accept } from '../parsed';
import { decodeEntries, type RecordDecoder } from './decoded-entries';
import type { LinkKeyParts } from '../keys/keyspace';
import type { KvStore } from './kv-store';

export class KvLinkRepository implements LinkRepository {
  constructor(private readonly store: KvStore) {}

  async put(link: DetectorLink): Promise<void> {
    const key = this.store.keyspace.linkKey(link);
    await this.store.write([{ key, value: encodeLinkValue(link, 'link') }]);
  }

  async delete(destination: DetectorId, source: DetectorId): Promise<boolean> {
    const key = this.store.keyspace.linkKey({ destination, source }, 'link');
    return (await this.store.deleteRange(key, `${key}\u0000`)) > 0;
  }

  async list(destination?: DetectorId): Promise<DetectorLink[]> {
    const { keyspace, malformed } = this.store;
    const prefix =
      destination === undefined
        ? keyspace.linksRoot
        : keyspace.linkPrefix(checkIdSegment(destination, 'destination'));
    const links: DetectorLink[] = [];
    const decoder: RecordDecoder<LinkKeyParts, DetectorLink> = {
      keyName: 'link key',
      valueName: 'link',
      parseKey: (key) => keyspace.parseLinkKey(key),
      decodeValue: (bytes, ends) => {
        const limits = decodeLinkValue(bytes);
        return limits.ok ? accept({ ...ends, ...limits.value }) : limits;
      },
    };
    const scanned = this.store.scan({ start: prefix, end: prefixEnd(prefix) });
    for await (const link of decodeEntries(scanned, malformed, decoder)) links.push(link);
    // Key order puts "a-b/..." before "a/..." ('-' sorts before '/'): sort by the ids themselves.
    return links.sort((a, b) => compare(a.destination, b.destination) || compare(a.source, b.source));
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
