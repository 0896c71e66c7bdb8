import type { RealtimeService } from "./realtime-service";

/** Most hubs whose service clients are kept; past it the least recently used is dropped. */
export const defaultMaxHubServices = 64;

/**
 * The service for the hub an upstream event names, built once per hub and kept in a bounded
 * cache (hub names arrive in request headers, so the cache must not grow with them).
 */
export function createHubServices(service: RealtimeService, maxHubs: number = defaultMaxHubServices): (hub: string) => RealtimeService {
  const cache = new Map<string, RealtimeService>();
  return (hub) => {
    const key = hub.toLowerCase();
    if (key === service.hub.toLowerCase()) return service;
    const found = cache.get(key);
    if (found) {
      cache.delete(key);
      cache.set(key, found);
      return found;
    }
    const created = service.forHub(hub);
    cache.set(key, created);
    if (cache.size > maxHubs) cache.delete(cache.keys().next().value as string);
    return created;
  };
}
