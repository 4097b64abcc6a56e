import { Link } from 'react-router';
import { tokenStates } from '../api/types.js';
import { ApiErrorNotice } from '../components/api-error-notice.js';
import { ExpiryChart } from '../components/expiry-chart.js';
import { StateBadge } from '../components/state-badge.js';
import { describeExpiry } from '../format.js';
import { useSession } from '../session.js';
import { usePolling } from '../use-polling.js';

/** Renders the estate at a glance: tokens by state, the 90-day expiry timeline, owner-less and stale tokens, the next expiries. */
export function OverviewPage() {
  const { api } = useSession();
  const summary = usePolling(() => api.summariseTokens(), [api]);
  const data = summary.data;

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
