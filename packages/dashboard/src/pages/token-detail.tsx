import { useState } from 'react';
import { Link, useParams } from 'react-router';
import type { ApiClient } from '../api/client.js';
import { hasScope } from '../api/permissions.js';
import type { RotatedToken, Token } from '../api/types.js';
import { ApiErrorNotice } from '../components/api-error-notice.js';
import { AuditTable } from '../components/audit-table.js';
import { SecretOnce } from '../components/secret-once.js';
import { StateBadge } from '../components/state-badge.js';
import { TokenActions } from '../components/token-actions.js';
import { TokenLimitsList } from '../components/token-limits.js';
import { TokenUsageSection } from '../components/token-usage.js';
import { describeExpiry, formatTime } from '../format.js';
import { useSession } from '../session.js';
import { usePolling } from '../use-polling.js';

// Bounds the walk along predecessor and successor links, so a long rotation history costs a fixed number of requests.
const maxLineageSteps = 10;

/** Follows predecessor links back and successor links forward from a token, oldest first. */
async function readLineage(api: ApiClient, token: Token): Promise<Token[]> {
  const before: Token[] = [];
  let cursor = token.predecessorId;
  for (let step = 0; cursor && step < maxLineageSteps; step += 1) {
    const predecessor = await api.getToken(cursor);
    before.unshift(predecessor);
    cursor = predecessor.predecessorId;
  }

  const after: Token[] = [];
  cursor = token.successorId;
  for (let step = 0; cursor && step < maxLineageSteps; step += 1) {
    const successor = await api.getToken(cursor);
    after.push(successor);
    cursor = successor.successorId;
  }
  return [...before, token, ...after];
}

export function TokenDetailPage() {
  const { id = '' } = useParams();
  const { api, caller } = useSession();
  const [rotated, setRotated] = useState<RotatedToken | null>(null);

  const detail = usePolling(async () => {
    const token = await api.getToken(id);
    const [lineage, keyspace] = await Promise.all([
      readLineage(api, token),
      hasScope(caller, 'keyspaces:read') ? api.getKeyspace(token.keyspace).catch(() => null) : Promise.resolve(null),
    ]);
    return { token, lineage, keyspace };
  }, [api, caller, id]);
  const audit = usePolling(() => api.listAudit({ targetId: id, limit: 50 }), [api, id]);

  const token = detail.data?.token;
  return (
    <section aria-labelledby="token-title">
      {detail.error && <ApiErrorNotice error={detail.error} action="Loading the token" />}
      {!detail.data && !detail.error && <p role="status">Loading…</p>}
      {rotated && (
        <SecretOnce secret={rotated.secret} title={`Token rotated: the secret of its successor “${rotated.token.name}”`} onDismiss={() => setRotated(null)} />
      )}
      {token && detail.data && (
        <>
          <div className="page-header">
            <h1 id="token-title">
              {token.name} <StateBadge state={token.state} />
            </h1>
          </div>
          <TokenActions
            token={token}
            defaultGraceSeconds={detail.data.keyspace?.policy.gracePeriodSeconds ?? null}
            onChanged={() => {
              detail.reload();
              audit.reload();
            }}
            onRotated={setRotated}
          />
          {rotated && rotated.predecessor.id === token.id && (
            <p>
              <Link to={`/tokens/${rotated.token.id}`}>Open the successor</Link>
            </p>
          )}

          <dl className="facts">
            <dt>Id</dt>
            <dd>
              <code>{token.id}</code>
            </dd>
            <dt>Hint</dt>
            <dd>
              <code>{token.hint}</code>
            </dd>
            <dt>Keyspace</dt>
            <dd>{token.keyspace}</dd>
            <dt>Owner</dt>
            <dd>{token.owner ?? <em>none</em>}</dd>
            <dt>Description</dt>
            <dd>{token.description ?? '—'}</dd>
            <dt>Created</dt>
            <dd>{formatTime(token.createdAt)}</dd>
            <dt>Expires</dt>
            <dd>
              {formatTime(token.expiresAt)} ({describeExpiry(token.expiresAt)})
            </dd>
            <dt>State reason</dt>
            <dd>{token.stateReason ?? '—'}</dd>
            <dt>Last used</dt>
            <dd>{formatTime(token.lastUsedAt)}</dd>
            <dt>Scopes</dt>
            <dd>
              {token.scopes.length === 0 ? (
                'none'
              ) : (
                <ul className="chips">
                  {token.scopes.map((scope) => (
                    <li key={scope}>
                      <code>{scope}</code>
                    </li>
                  ))}
                </ul>
              )}
            </dd>
            <dt>Keyspace policy</dt>
            <dd>
              {detail.data.keyspace
                ? `lifetime at most ${Math.round(detail.data.keyspace.policy.maxLifetimeSeconds / 86400)} days, grace period ${detail.data.keyspace.policy.gracePeriodSeconds / 3600} hours, self-rotation ${detail.data.keyspace.policy.allowSelfRotation ? 'allowed' : 'not allowed'}`
                : 'the keyspace policy needs the keyspaces:read scope to show'}
            </dd>
          </dl>

          {token.state === 'suspended' && (
            <p className="notice notice-error" data-testid="suspended-notice">
              Suspended by the anomaly response: the token verifies as DISABLED until an admin enables it. Check its alerts and usage below first.
            </p>
          )}

          <h2>Limits</h2>
          <TokenLimitsList limits={token.limits} keyspaceLimits={detail.data.keyspace ? (detail.data.keyspace.policy.limits ?? {}) : null} />

          <h2>Usage</h2>
          <TokenUsageSection tokenId={token.id} />

          <h2>Lineage</h2>
          <ol className="lineage" aria-label="Rotation lineage, oldest first">
            {detail.data.lineage.map((member) => (
              <li key={member.id} aria-current={member.id === token.id ? 'true' : undefined}>
                {member.id === token.id ? <strong>this token</strong> : <Link to={`/tokens/${member.id}`}>{member.name}</Link>} <code>{member.hint}</code>{' '}
                <StateBadge state={member.state} /> created {formatTime(member.createdAt)}
              </li>
            ))}
          </ol>

          <h2>Audit trail</h2>
          {audit.error && <ApiErrorNotice error={audit.error} action="Loading the audit trail" />}
          {audit.data && <AuditTable entries={audit.data.items} />}
        </>
      )}
    </section>
  );
}
