import { LRUCache } from 'lru-cache';
import { v7 as uuidv7 } from 'uuid';
import {
  detectFailureBurst,
  detectTokenAnomalies,
  emptyProfile,
  type AddressFailureActivity,
  type AnomalyFinding,
  type TokenMinuteActivity,
  type TokenProfile,
} from '../core/anomaly-detectors.js';
import { defaultAnomalyPolicy, resolveAnomalyPolicy, type AnomalyPolicy, type AnomalyResponse } from '../core/anomaly-policy.js';
import { TesseraError } from '../core/errors.js';
import { sourceNetwork } from '../core/network.js';
import type { KeyspacePolicy } from '../core/policy.js';
import { effectiveState, type TokenState } from '../core/token-state.js';
import { findTokensForAnalysis, insertAnomalyOnce, type TokenForAnalysis } from '../store/anomaly-repository.js';
import { findUsageHistory } from '../store/usage-repository.js';
import type { Actor } from './actor.js';
import { auditedChange } from './audit-trail.js';
import { eventAbout } from './events.js';
import type { ServiceContext } from './context.js';
import { rotateToken } from './rotation.js';
import { changeTokenState } from './tokens.js';
import { networksOf, type AddressFailures, type MinuteBucket, type UsageBatch } from './usage-buffer.js';
import type { UsageAnalyser } from './usage-recorder.js';

/** The actor of automatic responses in the audit log. */
export const anomalyResponder: Actor = { type: 'local', id: 'system:anomaly-response', hint: null, scopes: ['admin'], keyspaces: null, ip: null };

/** Token profiles kept in memory; a profile pushed out is read again from the day counters when its token next appears. */
export const maxProfiles = 100_000;

/**
 * Runs the anomaly detectors after each usage flush, off the hot path, records each finding
 * once per subject, kind and period (an audit entry and an outbox event `token.anomaly`, with
 * data {kind, evidence, response}), and applies the keyspace policy's response. Profiles are seeded from the stored day counters, so a
 * restart keeps known networks, scopes and the learning start, but the rate baseline starts again.
 * TODO: each node detects on its own traffic only, so a spike split evenly across N nodes must reach N times the threshold.
 */
export class AnomalyMonitor implements UsageAnalyser {
  private readonly profiles = new LRUCache<string, TokenProfile>({ max: maxProfiles });
  /** Failed verifications per address and minute so far, because one minute's failures can span several flushes. */
  private readonly failureCounts = new LRUCache<string, AddressFailureActivity>({ max: maxProfiles });

  constructor(private readonly context: ServiceContext) {}

  async prepare(batch: UsageBatch): Promise<void> {
    const unknown = [...new Set(batch.buckets.map((bucket) => bucket.tokenId))].filter((id) => !this.profiles.has(id));
    if (unknown.length === 0) return;

    for (const id of unknown) this.profiles.set(id, emptyProfile());
    for (const history of await findUsageHistory(this.context.db, unknown)) {
      const profile = this.profiles.get(history.tokenId)!;
      profile.firstSeenAt = Math.min(profile.firstSeenAt ?? history.firstSeenAt, history.firstSeenAt);
      if (history.dimension === 'network') profile.networks.add(history.value);
      if (history.dimension === 'scope') profile.scopes.add(history.value);
    }
  }

  async analyse(batch: UsageBatch): Promise<void> {
    const now = this.context.clock.now();
    const byToken = groupByToken(batch.buckets);
    const tokens = await findTokensForAnalysis(this.context.db, [...byToken.keys()]);

    for (const token of tokens) {
      const policy = resolveAnomalyPolicy((JSON.parse(token.keyspace_policy) as Partial<KeyspacePolicy>).anomaly);
      const profile = this.profiles.get(token.id) ?? emptyProfile();
      this.profiles.set(token.id, profile);

      const state = effectiveState(token.state as TokenState, token.expires_at, now);
      const activities = (byToken.get(token.id) ?? []).map(toActivity);
      const findings = detectTokenAnomalies(profile, activities, { active: state === 'active', successorId: token.successor_id }, policy, now);
      if (findings.length > 0) await this.respond(token, state, findings, policy, now);
    }

    for (const failures of batch.failures) {
      const finding = detectFailureBurst(this.addFailures(failures), defaultAnomalyPolicy);
      if (finding) await this.raise({ subject: failures.ip, keyspace: null, target: null }, finding, 'alert', defaultAnomalyPolicy, now);
    }
  }

  /** Adds a batch's failures from one address to that minute's count so far and returns the total. */
  private addFailures(failures: AddressFailures): AddressFailureActivity {
    const key = `${failures.ip} ${failures.minute}`;
    const total = this.failureCounts.get(key) ?? { ip: failures.ip, network: sourceNetwork(failures.ip), minute: failures.minute, count: 0, codes: new Map() };
    total.count += failures.count;
    for (const [code, count] of failures.codes) total.codes.set(code, (total.codes.get(code) ?? 0) + count);
    this.failureCounts.set(key, total);
    return total;
  }

  private async respond(token: TokenForAnalysis, state: TokenState, findings: AnomalyFinding[], policy: AnomalyPolicy, now: number): Promise<void> {
    const response = chooseResponse(state, findings, policy);
    let raised = 0;
    for (const finding of findings) {
      if (await this.raise({ subject: token.id, keyspace: token.keyspace_name, target: { type: 'token', id: token.id } }, finding, response, policy, now))
        raised += 1;
    }
    if (raised === 0 || response === 'alert') return;

    const kinds = [...new Set(findings.map((finding) => finding.kind))].join(', ');
    try {
      if (response === 'suspend') await changeTokenState(this.context, anomalyResponder, token.id, 'suspend', `anomaly: ${kinds}`);
      else await rotateToken(this.context, anomalyResponder, token.id, { gracePeriodSeconds: policy.rotationGracePeriodSeconds });
      this.context.logger.warn({ tokenId: token.id, response, kinds }, 'anomaly response applied');
    } catch (error) {
      // Another node may have responded to the same finding first.
      if (error instanceof TesseraError && error.code === 'CONFLICT') return;
      this.context.logger.error({ err: error, tokenId: token.id, response }, 'failed to apply the anomaly response');
    }
  }

  /** Records a finding unless it was already raised in this period; returns whether it was new. */
  private async raise(
    subject: { subject: string; keyspace: string | null; target: { type: string; id: string } | null },
    finding: AnomalyFinding,
    response: AnomalyResponse,
    policy: AnomalyPolicy,
    now: number,
  ): Promise<boolean> {
    const period = policy.dedupePeriodSeconds * 1000;
    const raised = await auditedChange(this.context, anomalyResponder, async (transaction) => {
      const inserted = await insertAnomalyOnce(transaction, {
        id: uuidv7(),
        subject: subject.subject,
        kind: finding.kind,
        period_start: now - (now % period),
        keyspace: subject.keyspace,
        detected_at: now,
        evidence: JSON.stringify(finding.evidence),
        response,
      });
      if (!inserted) return { result: false, audit: [] };
      const audit = {
        action: 'token.anomaly',
        target: subject.target ?? undefined,
        keyspace: subject.keyspace,
        outcome: 'success' as const,
        details: { kind: finding.kind, evidence: finding.evidence, response },
      };
      // A burst of failures from an address names no token, so the address is the event's subject.
      const event = eventAbout(
        { target: subject.target ?? { type: 'address', id: subject.subject }, keyspace: subject.keyspace },
        'token.anomaly',
        audit.details,
      );
      return { result: true, audit, events: [event] };
    });
    if (raised) {
      this.context.metrics.countAnomaly(finding.kind);
      this.context.logger.warn({ subject: subject.subject, kind: finding.kind, response }, 'anomaly detected');
    }
    return raised;
  }
}

/** Suspends on any finding; rotates on strong evidence (two kinds at once) or, with rotateOnSuspicion, on any. */
function chooseResponse(state: TokenState, findings: AnomalyFinding[], policy: AnomalyPolicy): AnomalyResponse {
  if (state !== 'active' || policy.response === 'alert') return 'alert';
  if (policy.response === 'suspend') return 'suspend';
  const strong = new Set(findings.map((finding) => finding.kind)).size >= 2;
  return strong || policy.rotateOnSuspicion ? 'rotate' : 'alert';
}

function groupByToken(buckets: readonly MinuteBucket[]): Map<string, MinuteBucket[]> {
  const byToken = new Map<string, MinuteBucket[]>();
  for (const bucket of buckets) {
    const list = byToken.get(bucket.tokenId) ?? [];
    list.push(bucket);
    byToken.set(bucket.tokenId, list);
  }
  for (const list of byToken.values()) list.sort((a, b) => a.minute - b.minute);
  return byToken;
}

function toActivity(bucket: MinuteBucket): TokenMinuteActivity {
  return { minute: bucket.minute, codes: bucket.codes, networks: networksOf(bucket), scopes: bucket.scopes };
}
