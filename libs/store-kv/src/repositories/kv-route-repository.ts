import type { Route, RouteName } from '@message-bus/domain';
import type { RouteRepository } from '@message-bus/repository';
import { decodeRouteValue, encodeRouteValue } from '../values/route-value';
import { getDecoded, listDecoded } from './decoded-records';
import type { KvStore } from './kv-store';

export class KvRouteRepository implements RouteRepository {
  constructor(private readonly store: KvStore) {}

  async put(route: Route): Promise<void> {
    const key = this.store.keyspace.routeKey(route.name, 'route.name');
    await this.store.write([{ key, value: encodeRouteValue(route, 'route') }]);
  }

  async delete(name: RouteName): Promise<boolean> {
    const key = this.store.keyspace.routeKey(name);
    return (await this.store.deleteRange(key, `${key}\u0000`)) > 0;
  }

  async get(name: RouteName): Promise<Route | undefined> {
    const key = this.store.keyspace.routeKey(name);
    return getDecoded(this.store, key, 'route', (bytes) => decodeRouteValue(bytes, name));
  }

  /** Key order is name order: nothing follows the name in the key. */
  async list(): Promise<Route[]> {
    const { keyspace } = this.store;
    return listDecoded(this.store, keyspace.routesRoot, {
      keyName: 'route key',
      valueName: 'route',
      parseKey: (key) => keyspace.parseRouteKey(key),
      decodeValue: decodeRouteValue,
    });
  }
}
