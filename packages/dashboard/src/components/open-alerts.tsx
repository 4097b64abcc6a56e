import { Link } from 'react-router';
import { hasScope, missingScopeMessage } from '../api/permissions.js';
import { formatTime } from '../format.js';
import { useSession } from '../session.js';
import { usePolling } from '../use-polling.js';
import { ApiErrorNotice } from './api-error-notice.js';

// The overview lists the newest few; the alerts page has the rest.
const shownAlerts = 5;
const countedAlerts = 500;

/** Counts open alerts and open anomaly alerts, and lists the newest ones, for the overview. */
export function OpenAlerts() {
  const { api, caller } = useSession();
  const canRead = hasScope(caller, 'alerts:read');
  const alerts = usePolling(() => (canRead ? api.listAlerts({ status: 'open', limit: countedAlerts }) : Promise.resolve(null)), [api, canRead]);

  if (!canRead) return <p className="notice">{missingScopeMessage('alerts:read')}</p>;
  if (alerts.error) return <ApiErrorNotice error={alerts.error} action="Loading open alerts" />;
  if (!alerts.data) return <p role="status">Loading…</p>;

  const items = alerts.data.items;
  const more = alerts.data.nextCursor !== null ? '+' : '';
  return (
    <>
      <ul className="stat-grid" aria-label="Open alerts">
        <li className="stat">
          <span className="stat-value" data-testid="count-open-alerts">
            {items.length}
            {more}
          </span>
          <span className="stat-label">open alerts</span>
        </li>
        <li className="stat">
          <span className="stat-value" data-testid="count-open-anomalies">
            {items.filter((alert) => alert.type.endsWith('.anomaly')).length}
            {more}
          </span>
          <span className="stat-label">of them anomalies</span>
        </li>
      </ul>
      {items.length > 0 && (
        <ul className="plain-list" data-testid="open-alert-list">
          {items.slice(0, shownAlerts).map((alert) => (
            <li key={alert.id}>
              <span className={`badge severity-${alert.severity}`}>{alert.severity}</span> {alert.summary}{' '}
              <span className="muted">({formatTime(alert.raisedAt)})</span>
            </li>
          ))}
        </ul>
      )}
      <p>
        <Link to="/alerts">All alerts and their evidence</Link>
      </p>
    </>
  );
}
