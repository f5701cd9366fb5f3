import { QueryClient } from '@tanstack/query-core';

let shared: QueryClient | undefined;

/** The client stores use when given none: one per page or process. */
export function getDefaultQueryClient(): QueryClient {
  shared ??= new QueryClient();
  return shared;
}

/** The per-key map `registry` keeps for `client`, made on first use. */
export function mapFor<V>(
  registry: WeakMap<QueryClient, Map<string, V>>,
  client: QueryClient,
): Map<string, V> {
  let map = registry.get(client);
  if (!map) {
    map = new Map();
    registry.set(client, map);
  }
  return map;
}
