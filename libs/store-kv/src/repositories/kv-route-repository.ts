import type { Route, RouteName } from '@message-bus/domain';
import type { RouteRepository } from '@message-bus/repository';
import { prefixEnd } from '../keys/key-segment';
import { decodeRouteValue, encodeRouteValue } from '../values/route-value';
import { decodeEntries } from './decoded-entries';
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
    const value = await this.store.get(key);
    if (value === undefined) return undefined;
    const route = decodeRouteValue(value, name);
    if (route.ok) return route.value;
    this.store.malformed.skip(key, `route ${route.reason}`);
    return undefined;
  }

  /** Key order is name order: nothing follows the name in the key. */
  async list(): Promise<Route[]> {
    const { keyspace, malformed } = this.store;
    const root = keyspace.routesRoot;
    const routes: Route[] = [];
    const entries = this.store.scan({ start: root, end: prefixEnd(root) });
    for await (const route of decodeEntries(entries, malformed, {
      keyName: 'route key',
      valueName: 'route',
      parseKey: (key) => keyspace.parseRouteKey(key),
      decodeValue: decodeRouteValue,
    })) {
      routes.push(route);
    }
    return routes;
  }
}
