import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { ApiError, toApiError } from '../api/client.js';
import { hasScope, missingScopeMessage } from '../api/permissions.js';
import type { Alert, AlertStatus } from '../api/types.js';
import { EventEvidence, loadAlertEvents } from '../components/alert-evidence.js';
import { ApiErrorNotice } from '../components/api-error-notice.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { formatTime } from '../format.js';
import { useSession } from '../session.js';
import { usePolling } from '../use-polling.js';

const pageLimit = 100;
// A repeated finding adds events to one alert, and the newest few show what it found lately.
const shownEvents = 5;
const statusOptions: readonly (AlertStatus | 'all')[] = ['open', 'acknowledged', 'resolved', 'all'];

/** Links an alert's subject to its page when the dashboard has one. */
function SubjectLink({ alert }: { alert: Alert }) {
  const { type, id } = alert.subject;
  if (id === null) return <em>none</em>;
  if (type === 'token') return <Link to={`/tokens/${id}`}>token {id}</Link>;
  return (
    <span>
      {type ?? 'subject'} <code>{id}</code>
    </span>
  );
}

/** Shows the events behind one alert; they need audit:read because they come from the event outbox. */
function AlertEvidenceList({ alert }: { alert: Alert }) {
  const { api, caller } = useSession();
  const canRead = hasScope(caller, 'audit:read');
  const events = usePolling(() => (canRead ? loadAlertEvents(api, alert) : Promise.resolve([])), [api, canRead, alert.id, alert.lastEventId], null);

  if (!canRead) return <p className="muted">The evidence is read from the event outbox, which needs the audit:read scope.</p>;
  if (events.error) return <ApiErrorNotice error={events.error} action="Loading the evidence" />;
  if (!events.data) return <p role="status">Loading the evidence…</p>;
  if (events.data.length === 0) return <p className="muted">No event about this subject is left in the outbox.</p>;
  const earlier = events.data.length - shownEvents;
  return (
    <>
      {events.data.slice(-shownEvents).map((event) => (
        <EventEvidence key={event.id} event={event} />
      ))}
      {earlier > 0 && (
        <p className="muted">
          The newest {shownEvents} are shown; {earlier} earlier {earlier === 1 ? 'event is' : 'events are'} in GET /v1/events.
        </p>
      )}
    </>
  );
}

/** Lists alerts with their evidence, filtered by type and status, and acknowledges one behind a confirmation. */
export function AlertsPage() {
  const { api, caller } = useSession();
  const [filters, setFilters] = useState<{ status: AlertStatus | 'all'; type: string }>({ status: 'open', type: '' });
  const [pending, setPending] = useState<Alert | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const canWrite = hasScope(caller, 'alerts:write');

  const alerts = usePolling(() => api.listAlerts({ status: filters.status, type: filters.type || undefined, limit: pageLimit }), [api, filters]);

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const status = String(form.get('status') ?? 'open') as AlertStatus | 'all';
    setFilters({ status: statusOptions.includes(status) ? status : 'open', type: String(form.get('type') ?? '').trim() });
  }

  async function acknowledge(alert: Alert) {
    setBusy(true);
    setActionError(null);
    try {
      await api.acknowledgeAlert(alert.id);
      alerts.reload();
    } catch (failure) {
      setActionError(toApiError(failure));
    } finally {
      setPending(null);
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title">Alerts and anomalies</h1>

      <form className="filters" role="search" aria-label="Filter alerts" onSubmit={apply}>
        <label>
          Type
          <input name="type" placeholder="e.g. token.anomaly" defaultValue={filters.type} />
        </label>
        <label>
          Status
          <select name="status" defaultValue={filters.status}>
            {statusOptions.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Apply filters</button>
      </form>

      {!canWrite && (
        <p id="acknowledge-denied" className="notice">
          {missingScopeMessage('alerts:write')}
        </p>
      )}
      {actionError && <ApiErrorNotice error={actionError} action="Acknowledging the alert" />}
      {alerts.error && <ApiErrorNotice error={alerts.error} action="Loading alerts" />}
      {!alerts.data && !alerts.error && <p role="status">Loading…</p>}
      {alerts.data && alerts.data.items.length === 0 && <p data-testid="no-alerts">No {filters.status === 'all' ? '' : `${filters.status} `}alerts match.</p>}

      <ul className="alert-list" data-testid="alert-list">
        {alerts.data?.items.map((alert) => (
          <li key={alert.id} className={`alert-card severity-${alert.severity}`} data-alert-type={alert.type}>
            <h2>
              <span className={`badge severity-${alert.severity}`}>{alert.severity}</span> {alert.summary}
            </h2>
            <dl className="facts">
              <dt>Type</dt>
              <dd>
                <code>{alert.type}</code>
              </dd>
              <dt>Status</dt>
              <dd data-testid="alert-status">
                {alert.status}
                {alert.acknowledgedAt && ` by ${alert.acknowledgedBy ?? 'an admin'} at ${formatTime(alert.acknowledgedAt)}`}
              </dd>
              <dt>Subject</dt>
              <dd>
                <SubjectLink alert={alert} />
              </dd>
              <dt>Keyspace</dt>
              <dd>{alert.keyspace ?? '—'}</dd>
              <dt>Raised</dt>
              <dd>
                {formatTime(alert.raisedAt)}, {alert.eventCount} {alert.eventCount === 1 ? 'event' : 'events'}, last {formatTime(alert.updatedAt)}
              </dd>
            </dl>
            <h3>Evidence</h3>
            <AlertEvidenceList alert={alert} />
            {alert.status === 'open' && (
              <button type="button" disabled={!canWrite} aria-describedby={canWrite ? undefined : 'acknowledge-denied'} onClick={() => setPending(alert)}>
                Acknowledge
              </button>
            )}
          </li>
        ))}
      </ul>
      {alerts.data?.nextCursor && <p className="muted">Showing the newest {pageLimit}; narrow the filters to see older ones.</p>}

      {pending && (
        <ConfirmDialog
          title={`Acknowledge “${pending.summary}”?`}
          confirmLabel="Acknowledge"
          busy={busy}
          onConfirm={() => acknowledge(pending)}
          onCancel={() => setPending(null)}
        >
          <p>The alert leaves the open list and records you as the one who saw it. A new finding about the same subject raises a new alert.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
