import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { toApiError, type ApiError } from '../api/client.js';
import { hasScope, missingScopeMessage } from '../api/permissions.js';
import type { StoredSecret } from '../api/types.js';
import { ApiErrorNotice } from '../components/api-error-notice.js';
import { AuditTable } from '../components/audit-table.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { DuplicateWarning, EditSecretDialog } from '../components/secret-dialogs.js';
import { SecretReveal } from '../components/secret-reveal.js';
import { SecretRotations } from '../components/secret-rotations.js';
import { describeExpiry, formatTime } from '../format.js';
import { isStale, staleAfterDays } from '../secret-health.js';
import { useSession } from '../session.js';
import { usePolling } from '../use-polling.js';
import { useActorNames } from '../actor-names.js';

/** Shows a secret's metadata, versions, rotations and audit trail, and reveals, edits and removes it where the scopes allow. */
export function SecretDetailPage() {
  const { environment = '', name = '' } = useParams();
  const { api, caller } = useSession();
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  const [removing, setRemoving] = useState(false);
  const [busy, setBusy] = useState(false);
  const [stored, setStored] = useState<StoredSecret | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const canWrite = hasScope(caller, 'secrets:write');

  const detail = usePolling(() => api.getSecret(environment, name), [api, environment, name]);
  const secret = detail.data;
  const audit = usePolling(() => (secret ? api.listAudit({ targetId: secret.id, limit: 50 }) : Promise.resolve(null)), [api, secret?.id]);
  const auditEntries = audit.data?.items ?? [];
  const nameActor = useActorNames([secret?.createdBy ?? null, ...(secret?.versions.map((version) => version.createdBy) ?? [])], auditEntries);

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await api.removeSecret(environment, name);
      navigate('/secrets');
    } catch (failure) {
      setRemoving(false);
      setError(toApiError(failure));
    } finally {
      setBusy(false);
    }
  }

  function reloadAll() {
    detail.reload();
    audit.reload();
  }

  function saved(result: StoredSecret) {
    setEditing(false);
    setStored(result);
    reloadAll();
  }

  return (
    <section aria-labelledby="secret-title">
      {detail.error && <ApiErrorNotice error={detail.error} action="Loading the secret" />}
      {!secret && !detail.error && <p role="status">Loading…</p>}
      {secret && (
        <>
          <div className="page-header">
            <h1 id="secret-title">
              {secret.name} <span className="muted">in {secret.environment}</span>
            </h1>
          </div>

          <div className="button-row" role="group" aria-label="Secret actions">
            <button type="button" disabled={!canWrite} aria-describedby={canWrite ? undefined : 'secret-write-denied'} onClick={() => setEditing(true)}>
              Edit
            </button>
            <button
              type="button"
              className="danger"
              disabled={!canWrite}
              aria-describedby={canWrite ? undefined : 'secret-write-denied'}
              onClick={() => setRemoving(true)}
            >
              Remove
            </button>
          </div>
          {!canWrite && (
            <p id="secret-write-denied" className="notice">
              {missingScopeMessage('secrets:write')}
            </p>
          )}
          {error && <ApiErrorNotice error={error} action={`Removing ${secret.name}`} />}
          {stored && <DuplicateWarning stored={stored} />}
          {editing && <EditSecretDialog secret={secret} onSaved={saved} onCancel={() => setEditing(false)} />}
          {removing && (
            <ConfirmDialog
              title={`Remove ${secret.name} from ${secret.environment}?`}
              confirmLabel="Remove"
              danger
              busy={busy}
              onConfirm={remove}
              onCancel={() => setRemoving(false)}
            >
              <p>Every version of the value is deleted and cannot be recovered. Programs that read it will fail until it is added again.</p>
            </ConfirmDialog>
          )}

          <h2>Value</h2>
          <SecretReveal key={`${secret.environment}/${secret.name}`} secret={secret} onRevealed={reloadAll} />

          <h2>Details</h2>
          <dl className="facts" data-testid="secret-details">
            <dt>Provider</dt>
            <dd>{secret.provider ?? 'unknown'}</dd>
            <dt>Owner</dt>
            <dd>{secret.owner ?? <em>none</em>}</dd>
            <dt>Description</dt>
            <dd>{secret.description ?? '—'}</dd>
            <dt>Tags</dt>
            <dd>{secret.tags.length === 0 ? 'none' : secret.tags.join(', ')}</dd>
            <dt>Rotation method</dt>
            <dd>{secret.rotationMethod ?? 'not recorded'}</dd>
            <dt>Expires</dt>
            <dd>{secret.expiresAt ? `${formatTime(secret.expiresAt)} (${describeExpiry(secret.expiresAt)})` : 'unknown'}</dd>
            <dt>Last read</dt>
            <dd>
              {formatTime(secret.lastReadAt)}
              {isStale(secret) && ` (stale: not read for ${staleAfterDays} days)`}
            </dd>
            <dt>Created</dt>
            <dd>
              {formatTime(secret.createdAt)} by {nameActor(secret.createdBy)}
            </dd>
            <dt>Updated</dt>
            <dd>{formatTime(secret.updatedAt)}</dd>
          </dl>

          <h2>Versions</h2>
          <div className="table-wrap">
            <table data-testid="version-table">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Created</th>
                  <th scope="col">By</th>
                  <th scope="col">Master key version</th>
                </tr>
              </thead>
              <tbody>
                {secret.versions.map((version) => (
                  <tr key={version.version}>
                    <td>
                      {version.version}
                      {version.version === secret.version && ' (current)'}
                    </td>
                    <td>{formatTime(version.createdAt)}</td>
                    <td>{nameActor(version.createdBy)}</td>
                    <td>{version.keyVersion}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>

          <SecretRotations secret={secret} auditEntries={auditEntries} />

          <h2>Audit trail</h2>
          {audit.error && <ApiErrorNotice error={audit.error} action="Loading the audit trail" />}
          {audit.data && <AuditTable entries={audit.data.items} />}
        </>
      )}
    </section>
  );
}
