import { useState } from 'react';
import { ApiError, toApiError } from '../api/client.js';
import { hasScope, missingScopeMessage } from '../api/permissions.js';
import type { AuditEntry, RotationHistory, SecretReader, SecretRetirementReport } from '../api/types.js';
import { useActorNames } from '../actor-names.js';
import { formatTime } from '../format.js';
import { useSession } from '../session.js';
import { usePolling } from '../use-polling.js';
import { ApiErrorNotice } from './api-error-notice.js';
import { ConfirmDialog } from './confirm-dialog.js';

const hourSeconds = 3600;

/** How many rotations the history table shows; older ones are listed by `tessera secret rotations`. */
const historyRows = 20;

interface SecretRef {
  environment: string;
  name: string;
}

function describeOutcome(status: RotationHistory['status']): string {
  const last = status.lastOutcome;
  if (!last) return 'never rotated';
  const outcome = `${last.state} at ${formatTime(last.finishedAt)}`;
  return last.error ? `${outcome}: ${last.error}` : outcome;
}

function describeNextDue(status: RotationHistory['status']): string {
  if (status.nextRotationDueAt) return `${formatTime(status.nextRotationDueAt)} by policy ${status.policy}`;
  if (status.rotatorKind === null) return 'not scheduled, because the secret has no rotator';
  return "not scheduled, because no policy sets a rotate-after age for this secret's group";
}

function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function describeUse(report: SecretRetirementReport): string {
  const previous = `Version ${report.previousVersion}`;
  if (!report.stillInUse) {
    return `Nothing has read ${previous.toLowerCase()} since the rotation, and every earlier reader has read the secret since, so it can be left to expire.`;
  }
  const reads = `it was read ${countOf(report.previousVersionReads.count, 'time')} since the rotation`;
  const verb = report.notSwitched.length === 1 ? 'has' : 'have';
  const readers = `${countOf(report.notSwitched.length, 'earlier reader')} ${verb} not read the secret since`;
  return `${previous} is still in use: ${reads}, and ${readers}.`;
}

/** Shows how a secret is rotated and its rotations, newest first, naming who started each as `nameActor` does. */
export function RotationHistoryPanel({ history, nameActor }: { history: RotationHistory; nameActor(id: string | null): string }) {
  const { status } = history;
  return (
    <>
      <dl className="facts" data-testid="rotation-status">
        <dt>Rotator</dt>
        <dd>{status.rotatorKind ?? 'none: set one with tessera secret rotator'}</dd>
        <dt>Next rotation due</dt>
        <dd>{describeNextDue(status)}</dd>
        <dt>Last outcome</dt>
        <dd>{describeOutcome(status)}</dd>
      </dl>
      {history.items.length === 0 ? (
        <p className="muted">No rotations yet.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="rotation-table">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">State</th>
                <th scope="col">Versions</th>
                <th scope="col">Error</th>
                <th scope="col">Grace ends</th>
                <th scope="col">Started by</th>
              </tr>
            </thead>
            <tbody>
              {history.items.map((rotation) => (
                <tr key={rotation.id}>
                  <td>{formatTime(rotation.startedAt)}</td>
                  <td>{rotation.state}</td>
                  <td>{rotation.toVersion === null ? `${rotation.fromVersion} (unchanged)` : `${rotation.fromVersion} → ${rotation.toVersion}`}</td>
                  <td>{rotation.error ?? '—'}</td>
                  <td>{formatTime(rotation.graceEndsAt)}</td>
                  <td>{nameActor(rotation.startedBy)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function ReaderTable({ readers, testId }: { readers: SecretReader[]; testId: string }) {
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        <thead>
          <tr>
            <th scope="col">Reader</th>
            <th scope="col">From</th>
            <th scope="col">Reads</th>
            <th scope="col">Last read</th>
          </tr>
        </thead>
        <tbody>
          {readers.map((reader) => (
            <tr key={`${reader.actorId ?? ''} ${reader.address ?? ''} ${reader.host ?? ''}`}>
              <td>{reader.actorHint ?? reader.actorId ?? 'unknown'}</td>
              <td>{reader.address ?? (reader.host ? `host ${reader.host}` : 'unknown')}</td>
              <td>{reader.reads}</td>
              <td>{formatTime(reader.lastReadAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Shows whether the value the latest rotation replaced is still read, and extends its grace period behind a confirmation. */
export function RetirementPanel({ secret, report, onExtended }: { secret: SecretRef; report: SecretRetirementReport; onExtended(): void }) {
  const { api, caller } = useSession();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const canWrite = hasScope(caller, 'secrets:write');
  const reads = report.previousVersionReads;

  async function extend(form: FormData) {
    const hours = Number(String(form.get('extendHours') ?? '').trim());
    setBusy(true);
    setError(null);
    try {
      await api.extendSecretGrace(secret.environment, secret.name, Math.round(hours * hourSeconds));
      onExtended();
    } catch (failure) {
      setError(toApiError(failure));
    } finally {
      setConfirming(false);
      setBusy(false);
    }
  }

  return (
    <div data-testid="retirement-panel">
      <p className={report.stillInUse ? 'notice' : 'notice notice-ok'} role="status">
        {describeUse(report)}
      </p>
      <dl className="facts">
        <dt>Rotated</dt>
        <dd>
          {formatTime(report.rotatedAt)} (version {report.previousVersion} → {report.currentVersion})
        </dd>
        <dt>Previous version readable until</dt>
        <dd>{formatTime(report.graceEndsAt)}</dd>
        <dt>Last read of version {report.previousVersion}</dt>
        <dd>{formatTime(reads.lastReadAt)}</dd>
      </dl>
      {reads.readers.length > 0 && (
        <>
          <h3>Reads of version {report.previousVersion} since the rotation</h3>
          <ReaderTable readers={reads.readers} testId="previous-readers" />
        </>
      )}
      {report.notSwitched.length > 0 && (
        <>
          <h3>Readers in the 30 days before the rotation who have not read it since</h3>
          <ReaderTable readers={report.notSwitched} testId="not-switched" />
        </>
      )}

      <div className="button-row" role="group" aria-label="Retirement actions">
        <button
          type="button"
          disabled={!canWrite || !report.canExtendGrace}
          aria-describedby={canWrite ? undefined : 'grace-write-denied'}
          onClick={() => setConfirming(true)}
        >
          Extend grace
        </button>
      </div>
      {!canWrite && (
        <p id="grace-write-denied" className="notice">
          {missingScopeMessage('secrets:write')}
        </p>
      )}
      {error && <ApiErrorNotice error={error} action="Extending the grace period" />}
      {confirming && (
        <ConfirmDialog
          title={`Extend the grace period of ${secret.name} version ${report.previousVersion}?`}
          confirmLabel="Extend grace"
          busy={busy}
          onConfirm={extend}
          onCancel={() => setConfirming(false)}
        >
          <p>
            The previous value stays readable for longer, so readers that have not switched keep working. One extension adds at most the rotator's grace period.
          </p>
          <label htmlFor="extend-hours">Extend by hours</label>
          <input id="extend-hours" name="extendHours" type="number" min="1" max="2160" step="any" required defaultValue="24" />
        </ConfirmDialog>
      )}
    </div>
  );
}

/**
 * Loads a secret's rotation history and, once a rotation made a new version current, its
 * retirement report. `auditEntries` (the secret's audit trail) supply the hints of the admin
 * tokens that started rotations.
 */
export function SecretRotations({ secret, auditEntries }: { secret: SecretRef; auditEntries: readonly AuditEntry[] }) {
  const { api } = useSession();
  const history = usePolling(() => api.listSecretRotations(secret.environment, secret.name, { limit: historyRows }), [api, secret.environment, secret.name]);
  const nameActor = useActorNames(history.data?.items.map((rotation) => rotation.startedBy) ?? [], auditEntries);
  // Any rotation may be followed by failed ones, so the report is read whenever there is one.
  const rotated = (history.data?.items.length ?? 0) > 0;
  const retirement = usePolling(async () => {
    if (!rotated) return null;
    try {
      return await api.getSecretRetirement(secret.environment, secret.name);
    } catch (failure) {
      // 409 means no rotation has completed, so no previous value is being retired.
      if (failure instanceof ApiError && failure.status === 409) return null;
      throw failure;
    }
  }, [api, secret.environment, secret.name, rotated]);

  function reloadBoth() {
    retirement.reload();
    history.reload();
  }

  return (
    <>
      <h2>Rotation</h2>
      {history.error && <ApiErrorNotice error={history.error} action="Loading the rotation history" />}
      {history.data && <RotationHistoryPanel history={history.data} nameActor={nameActor} />}

      {retirement.data && (
        <>
          <h2>Retirement of the previous value</h2>
          <RetirementPanel secret={secret} report={retirement.data} onExtended={reloadBoth} />
        </>
      )}
      {retirement.error && <ApiErrorNotice error={retirement.error} action="Loading the retirement report" />}
    </>
  );
}
