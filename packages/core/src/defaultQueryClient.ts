import { QueryClient } from '@tanstack/query-core';

let shared: QueryClient | undefined;

/** The client stores use when given none: one per page or process. */
export function getDefaultQueryClient(): QueryClient {
  shared ??= new QueryClient();
  return shared;
}
