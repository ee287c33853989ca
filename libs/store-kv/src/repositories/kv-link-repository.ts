import type { DetectorId, DetectorLink } from '@message-bus/domain';
import type { LinkRepository } from '@message-bus/repository';
import { checkIdSegment } from '../keys/key-segment';
import { decodeLinkValue, encodeLinkValue } from '../values/link-value';
import { accept, type Parsed } from '../parsed';
import { listDecoded } from './decoded-records';
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
    const { keyspace } = this.store;
    const prefix =
      destination === undefined
        ? keyspace.linksRoot
        : keyspace.linkPrefix(checkIdSegment(destination, 'destination'));
    const links = await listDecoded(this.store, prefix, {
      keyName: 'link key',
      valueName: 'link',
      parseKey: (key) => keyspace.parseLinkKey(key),
      decodeValue: (bytes, ends): Parsed<DetectorLink> => {
        const limits = decodeLinkValue(bytes);
        return limits.ok ? accept({ ...ends, ...limits.value }) : limits;
      },
    });
    // Key order puts "a-b/..." before "a/..." ('-' sorts before '/'): sort by the ids themselves.
    return links.sort((a, b) => compare(a.destination, b.destination) || compare(a.source, b.source));
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
