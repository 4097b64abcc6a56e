import { Link } from 'react-router';
import { tokenStates } from '../api/types.js';
import { ApiErrorNotice } from '../components/api-error-notice.js';
import { ExpiryChart } from '../components/expiry-chart.js';
import { OpenAlerts } from '../components/open-alerts.js';
import { StateBadge } from '../components/state-badge.js';
import { describeExpiry } from '../format.js';
import { loadSecrets } from '../api/all-secrets.js';
import { hasScope, missingScopeMessage } from '../api/permissions.js';
import { isStale, staleAfterDays } from '../secret-health.js';
import { useSession } from '../session.js';
import { usePolling } from '../use-polling.js';

/** Renders the estate at a glance: tokens by state, open alerts and anomalies, the 90-day expiry timeline, owner-less and stale tokens, the next expiries. */
export function OverviewPage() {
  const { api, caller } = useSession();
  const summary = usePolling(() => api.summariseTokens(), [api]);
  const data = summary.data;
  const canReadSecrets = hasScope(caller, 'secrets:read');
  const secrets = usePolling(() => (canReadSecrets ? loadSecrets(api) : Promise.resolve(null)), [api, canReadSecrets]);
  const secretItems = secrets.data?.items ?? [];

  return (
    <section aria-labelledby="overview-title" data-loaded={data ? 'overview' : undefined}>
      <h1 id="overview-title">Overview</h1>
      {summary.error && <ApiErrorNotice error={summary.error} action="Loading the overview" />}
      {!data && !summary.error && <p role="status">Loading…</p>}
      {data && (
        <>
          <ul className="stat-grid" aria-label="Tokens by state">
            <li className="stat">
              <span className="stat-value" data-testid="count-total">
                {data.total}
              </span>
              <span className="stat-label">tokens</span>
            </li>
            {tokenStates.map((state) => (
              <li className="stat" key={state}>
                <span className="stat-value" data-testid={`count-${state}`}>
                  {data.states[state]}
                </span>
                <span className="stat-label">
                  <StateBadge state={state} />
                </span>
              </li>
            ))}
            <li className="stat">
              <span className="stat-value" data-testid="count-ownerless">
                {data.ownerless}
              </span>
              <span className="stat-label">active without owner</span>
            </li>
            <li className="stat">
              <span className="stat-value" data-testid="count-stale">
                {data.stale}
              </span>
              <span className="stat-label">stale (unused {data.staleAfterDays} days)</span>
            </li>
          </ul>

          <h2>Alerts and anomalies</h2>
          <OpenAlerts />

          <h2>Secrets</h2>
          {!canReadSecrets && <p className="notice">{missingScopeMessage('secrets:read')}</p>}
          {secrets.error && <ApiErrorNotice error={secrets.error} action="Loading secrets" />}
          {secrets.data && (
            <ul className="stat-grid" aria-label="Secrets">
              <li className="stat">
                <span className="stat-value" data-testid="count-secrets">
                  {secretItems.length}
                  {secrets.data.more && '+'}
                </span>
                <span className="stat-label">secrets</span>
              </li>
              <li className="stat">
                <span className="stat-value" data-testid="count-secrets-ownerless">
                  {secretItems.filter((secret) => secret.owner === null).length}
                </span>
                <span className="stat-label">without owner</span>
              </li>
              <li className="stat">
                <span className="stat-value" data-testid="count-secrets-stale">
                  {secretItems.filter((secret) => isStale(secret)).length}
                </span>
                <span className="stat-label">stale (unread {staleAfterDays} days)</span>
              </li>
            </ul>
          )}

          <h2>Expiry timeline</h2>
          <ExpiryChart timeline={data.expiryTimeline} />

          <h2>Expiring first</h2>
          {data.expiringSoonest.length === 0 ? (
            <p>No active token has an expiry.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Keyspace</th>
                    <th scope="col">Owner</th>
                    <th scope="col">Expires</th>
                  </tr>
                </thead>
                <tbody>
                  {data.expiringSoonest.map((token) => (
                    <tr key={token.id}>
                      <td>
                        <Link to={`/tokens/${token.id}`}>{token.name}</Link>
                      </td>
                      <td>{token.keyspace}</td>
                      <td>{token.owner ?? <em>none</em>}</td>
                      <td>{describeExpiry(token.expiresAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <p className="muted">Updated {new Date(data.generatedAt).toLocaleTimeString()}; refreshes every few seconds.</p>
        </>
      )}
    </section>
  );
}
