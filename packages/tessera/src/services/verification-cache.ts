import { LRUCache } from 'lru-cache';
import type { EffectiveLimits } from '../core/limits.js';
import type { TokenState } from '../core/token-state.js';

/** The part of a token the hot path keeps between lookups, keyed by the token's hash and with no plaintext. */
export interface CachedToken {
  id: string;
  hash: string;
  keyspaceName: string;
  owner: string | null;
  scopes: string[];
  state: TokenState;
  expiresAt: number | null;
  /** `expiresAt` as an ISO 8601 string, formatted when the token is cached because every verification returns it. */
  expiresAtIso: string | null;
  metadata: Record<string, string>;
  adminKeyspaces: string[] | null;
  hint: string;
  /** Rate limits, quota and allowed networks from the token and its keyspace policy; null when it has none. */
  limits: EffectiveLimits | null;
}

/** A cached lookup: a token, or `null` for a hash that no token has (the negative cache). */
type Lookup = { token: CachedToken | null };

export interface VerificationCacheOptions {
  maxEntries: number;
  /** How long a found token is served without a lookup; bounds how long a change made elsewhere goes unseen. */
  ttlMilliseconds: number;
  /** How long an unknown hash is remembered, so a flood of invented tokens does not reach the database. */
  negativeTtlMilliseconds: number;
}

export const defaultCacheOptions: VerificationCacheOptions = { maxEntries: 10_000, ttlMilliseconds: 10_000, negativeTtlMilliseconds: 5_000 };

/**
 * Bounded in-process cache of verification lookups. Changes made through this node delete their
 * entry at once, and changes by other processes on the same SQLite file clear the cache (see
 * external-changes.ts). Entry lifetimes use the process clock, not the service clock, because
 * they bound staleness in real time.
 */
export class VerificationCache {
  private readonly entries: LRUCache<string, Lookup>;
  private readonly negativeTtl: number;
  /** Number of deletes so far; a lookup that read the store before a delete must not cache what it read. */
  private deletions = 0;
  hits = 0;
  misses = 0;

  constructor(options: VerificationCacheOptions = defaultCacheOptions) {
    this.entries = new LRUCache<string, Lookup>({ max: options.maxEntries, ttl: options.ttlMilliseconds, ttlAutopurge: false });
    this.negativeTtl = options.negativeTtlMilliseconds;
  }

  get(hash: string): Lookup | undefined {
    const lookup = this.entries.get(hash);
    if (lookup === undefined) this.misses += 1;
    else this.hits += 1;
    return lookup;
  }

  /** The current delete count, to read before a store lookup and to pass to `set`. */
  get generation(): number {
    return this.deletions;
  }

  /**
   * Caches a lookup. When `readGeneration` is given and a delete happened since it was read, the
   * write is skipped, because the row read may predate the change behind that delete.
   */
  set(hash: string, token: CachedToken | null, readGeneration?: number): void {
    if (readGeneration !== undefined && readGeneration !== this.deletions) return;
    if (token === null) this.entries.set(hash, { token }, { ttl: this.negativeTtl });
    else this.entries.set(hash, { token });
  }

  delete(hash: string): void {
    this.deletions += 1;
    this.entries.delete(hash);
  }

  /** Drops every entry, for a change made outside this process that names no single token. */
  clear(): void {
    this.deletions += 1;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
