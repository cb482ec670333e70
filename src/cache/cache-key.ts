/** One service an entry was built from, with the version it last reported (`null`: none yet). */
export interface CacheDependency {
  service: string;
  version: string | null;
}

/** What a cached entry is and what it was built from. */
export interface CacheKey {
  /** What the entry holds: 'user', 'users', 'dashboard', 'industries', 'jobs', 'comments', 'nps'… */
  kind: string;
  id: string;
  /**
   * The services whose answers the entry is built from, with the version each last reported:
   * a new version of any of them makes the entry unreachable, and `clear(service)` finds it.
   */
  deps: readonly CacheDependency[];
}

// Every part is percent-encoded, so the separators below (':' '+' '@') only ever appear as
// separators and a dependency can be matched by plain substring, even with a Redis glob.
const enc = encodeURIComponent;

/**
 * The storage key of an entry (without the namespace): `{deps}:{kind}:{id}`, deps sorted and
 * joined by '+', each `service@version` — e.g. `auth@1.0.0+comment@1.0.0:dashboard:42`.
 * A dependency with no known version is `service@`.
 */
export function formatCacheKey(key: CacheKey): string {
  const deps = [...new Set(key.deps.map((d) => `${enc(d.service)}@${d.version === null ? '' : enc(d.version)}`))].sort();
  return `${deps.join('+')}:${enc(key.kind)}:${enc(key.id)}`;
}

/** The encoded service names a storage key (as made by {@link formatCacheKey}) depends on. */
export function servicesOf(storageKey: string): string[] {
  const colon = storageKey.indexOf(':');
  const deps = colon === -1 ? '' : storageKey.slice(0, colon);
  if (deps === '') return [];
  return deps.split('+').map((d) => {
    const at = d.indexOf('@');
    return at === -1 ? d : d.slice(0, at);
  });
}

/** Whether a storage key depends on `service`. */
export function dependsOn(storageKey: string, service: string): boolean {
  return servicesOf(storageKey).includes(enc(service));
}

/** `service` as it appears inside storage keys, for building scan patterns. */
export function encodedService(service: string): string {
  return enc(service);
}
