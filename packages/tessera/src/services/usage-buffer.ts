import { sourceNetwork } from '../core/network.js';
import { bucketStart, stepMilliseconds } from '../core/usage-buckets.js';
import type { VerifyCode } from '../core/verification.js';
import type { UsageCountRow, UsageStep } from '../store/schema.js';
import type { LastUse } from '../store/token-repository.js';

/** One verification, as the usage recorder records it. */
export interface VerificationUse {
  /** Null when the token was malformed or unknown. */
  tokenId: string | null;
  at: number;
  code: VerifyCode;
  /** The address the token was presented from, when the calling service sent it. */
  ip: string | null;
  /** Scopes the caller required; recorded for VALID verifications only, as the scopes the token was used for. */
  scopes: readonly string[];
}

/**
 * Distinct addresses kept per bucket. Past this, addresses are turned into their networks at
 * once (up to the same number of networks), and the rest count as `other`, so one bucket cannot
 * grow without bound.
 */
export const maxAddressesPerBucket = 64;
export const otherNetworks = 'other';

/** One token's verifications in one minute, as collected between flushes. */
export interface MinuteBucket {
  tokenId: string;
  minute: number;
  codes: Map<VerifyCode, number>;
  /** Calls by source address; turned into /24 and /48 networks at flush, off the hot path. */
  addresses: Map<string, number>;
  /** Networks of the addresses past `maxAddressesPerBucket`; created when first needed, as most buckets never need it. */
  overflowNetworks: Map<string, number> | null;
  otherAddresses: number;
  scopes: Map<string, number>;
}

/** Failed verifications from one address in one minute, for the failed-verification burst detector. */
export interface AddressFailures {
  ip: string;
  minute: number;
  count: number;
  codes: Map<VerifyCode, number>;
}

/** Everything collected since the last flush. */
export interface UsageBatch {
  buckets: MinuteBucket[];
  lastUses: LastUse[];
  failures: AddressFailures[];
}

function increment<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/**
 * The in-memory side of usage recording: per token and minute, counts by result code, address
 * and required scope. Adding a use is a few map updates, so the hot path stays cheap; parsing
 * addresses into networks waits for the flush.
 */
export class UsageBuffer {
  private buckets = new Map<string, MinuteBucket>();
  private lastUses = new Map<string, LastUse>();
  private failures = new Map<string, AddressFailures>();

  /** Entries held: minute buckets plus address failure counters. */
  get size(): number {
    return this.buckets.size + this.failures.size;
  }

  add(use: VerificationUse): void {
    const minute = bucketStart('minute', use.at);
    if (use.code !== 'VALID' && use.ip !== null) this.addFailure(use, minute);
    if (use.tokenId === null) return;

    const bucket = this.bucketFor(use.tokenId, minute);
    increment(bucket.codes, use.code);

    if (use.ip !== null) addAddress(bucket, use.ip);

    if (use.code === 'VALID') {
      for (const scope of use.scopes) increment(bucket.scopes, scope);
      this.lastUses.set(use.tokenId, { tokenId: use.tokenId, usedAt: use.at, ip: use.ip });
    }
  }

  /** Counts a scope an admin token was used for, without counting another request. */
  addScope(tokenId: string, at: number, scope: string): void {
    increment(this.bucketFor(tokenId, bucketStart('minute', at)).scopes, scope);
  }

  private bucketFor(tokenId: string, minute: number): MinuteBucket {
    const key = `${tokenId} ${minute}`;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokenId, minute, codes: new Map(), addresses: new Map(), overflowNetworks: null, otherAddresses: 0, scopes: new Map() };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private addFailure(use: VerificationUse, minute: number): void {
    const ip = use.ip as string;
    const key = `${ip} ${minute}`;
    let failures = this.failures.get(key);
    if (failures === undefined) {
      failures = { ip, minute, count: 0, codes: new Map() };
      this.failures.set(key, failures);
    }
    failures.count += 1;
    increment(failures.codes, use.code);
  }

  /** Hands over everything collected and starts empty. */
  take(): UsageBatch {
    const batch = { buckets: [...this.buckets.values()], lastUses: [...this.lastUses.values()], failures: [...this.failures.values()] };
    this.buckets = new Map();
    this.lastUses = new Map();
    this.failures = new Map();
    return batch;
  }

  /** Puts back a batch whose write failed, so the next flush retries it; counts add to what arrived meanwhile. */
  restore(batch: UsageBatch): void {
    for (const old of batch.buckets) {
      const key = `${old.tokenId} ${old.minute}`;
      const current = this.buckets.get(key);
      if (current === undefined) {
        this.buckets.set(key, old);
        continue;
      }
      for (const [code, count] of old.codes) increment(current.codes, code, count);
      for (const [address, count] of old.addresses) increment(current.addresses, address, count);
      if (old.overflowNetworks) {
        current.overflowNetworks ??= new Map();
        for (const [network, count] of old.overflowNetworks) increment(current.overflowNetworks, network, count);
      }
      for (const [scope, count] of old.scopes) increment(current.scopes, scope, count);
      current.otherAddresses += old.otherAddresses;
    }
    for (const lastUse of batch.lastUses) {
      const current = this.lastUses.get(lastUse.tokenId);
      if (current === undefined || current.usedAt < lastUse.usedAt) this.lastUses.set(lastUse.tokenId, lastUse);
    }
  }
}

function addAddress(bucket: MinuteBucket, ip: string): void {
  if (bucket.addresses.has(ip) || bucket.addresses.size < maxAddressesPerBucket) {
    increment(bucket.addresses, ip);
    return;
  }
  const network = sourceNetwork(ip) ?? otherNetworks;
  bucket.overflowNetworks ??= new Map();
  if (bucket.overflowNetworks.has(network) || bucket.overflowNetworks.size < maxAddressesPerBucket) increment(bucket.overflowNetworks, network);
  else bucket.otherAddresses += 1;
}

/** Returns the source networks of a bucket with their calls; addresses past both per-bucket bounds count as `other`. */
export function networksOf(bucket: MinuteBucket): Map<string, number> {
  const networks = new Map<string, number>();
  for (const [address, count] of bucket.addresses) increment(networks, sourceNetwork(address) ?? otherNetworks, count);
  for (const [network, count] of bucket.overflowNetworks ?? []) increment(networks, network, count);
  if (bucket.otherAddresses > 0) increment(networks, otherNetworks, bucket.otherAddresses);
  return networks;
}

const steps: readonly UsageStep[] = ['minute', 'hour', 'day'];

/**
 * Turns minute buckets into counter rows for every step: the hour and day roll-ups are written
 * with the minutes they sum, in one transaction, so they never disagree.
 */
export function toCountRows(buckets: readonly MinuteBucket[]): UsageCountRow[] {
  const rows = new Map<string, UsageCountRow>();
  const add = (tokenId: string, step: UsageStep, start: number, dimension: UsageCountRow['dimension'], value: string, count: number) => {
    const key = `${tokenId} ${step} ${start} ${dimension} ${value}`;
    const row = rows.get(key);
    if (row) row.count += count;
    else rows.set(key, { token_id: tokenId, step, bucket_start: start, dimension, value, count });
  };

  for (const bucket of buckets) {
    const networks = networksOf(bucket);
    for (const step of steps) {
      const start = step === 'minute' ? bucket.minute : bucket.minute - (bucket.minute % stepMilliseconds[step]);
      for (const [code, count] of bucket.codes) add(bucket.tokenId, step, start, 'code', code, count);
      for (const [network, count] of networks) add(bucket.tokenId, step, start, 'network', network, count);
      for (const [scope, count] of bucket.scopes) add(bucket.tokenId, step, start, 'scope', scope, count);
    }
  }
  return [...rows.values()];
}
