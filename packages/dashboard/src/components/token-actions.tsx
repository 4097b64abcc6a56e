import { useState } from 'react';
import { ApiError } from '../api/client.js';
import { hasScope, missingScopeMessage } from '../api/permissions.js';
import type { RotatedToken, Token } from '../api/types.js';
import { useSession } from '../session.js';
import { ApiErrorNotice } from './api-error-notice.js';
import { ConfirmDialog } from './confirm-dialog.js';

type Action = 'rotate' | 'revoke' | 'disable' | 'enable';

const hourSeconds = 3600;

/** Returns whether the API accepts the action for a token in its current state. */
function isApplicable(action: Action, token: Token): boolean {
  switch (action) {
    case 'rotate':
      return token.state === 'active' && token.successorId === null;
    case 'revoke':
      return token.state !== 'revoked';
    case 'disable':
      return token.state === 'active';
    case 'enable':
      // Enabling also restores a token that an anomaly response suspended.
      return token.state === 'disabled' || token.state === 'suspended';
  }
}

const labels: Record<Action, string> = { rotate: 'Rotate', revoke: 'Revoke', disable: 'Disable', enable: 'Enable' };

interface TokenActionsProps {
  token: Token;
  /** The keyspace's grace period, offered as the default, or null when the keyspace cannot be read. */
  defaultGraceSeconds: number | null;
  onChanged(): void;
  onRotated(rotated: RotatedToken): void;
}

/** Renders rotate, revoke, disable and enable, each behind a confirmation. Without tokens:write they are disabled, with the reason. */
export function TokenActions({ token, defaultGraceSeconds, onChanged, onRotated }: TokenActionsProps) {
  const { api, caller } = useSession();
  const [pending, setPending] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ action: Action; error: ApiError } | null>(null);
  const canWrite = hasScope(caller, 'tokens:write');

  async function confirm(action: Action, form: FormData) {
    const reason = String(form.get('reason') ?? '').trim();
    setBusy(true);
    setError(null);
    try {
      if (action === 'rotate') {
        const hours = String(form.get('graceHours') ?? '').trim();
        const issued = await api.rotateToken(token.id, hours === '' ? {} : { gracePeriodSeconds: Math.round(Number(hours) * hourSeconds) });
        onRotated(issued);
      } else {
        await api.changeTokenState(token.id, action, reason || undefined);
      }
      setPending(null);
      onChanged();
    } catch (failure) {
      setPending(null);
      setError({ action, error: failure instanceof ApiError ? failure : new ApiError(0, 'CLIENT_ERROR', String(failure)) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="token-actions">
      <div className="button-row" role="group" aria-label="Token actions">
        {(Object.keys(labels) as Action[]).map((action) => (
          <button
            key={action}
            type="button"
            className={action === 'revoke' ? 'danger' : undefined}
            disabled={!canWrite || !isApplicable(action, token)}
            aria-describedby={canWrite ? undefined : 'actions-denied'}
            onClick={() => setPending(action)}
          >
            {labels[action]}
          </button>
        ))}
      </div>
      {!canWrite && (
        <p id="actions-denied" className="notice">
          {missingScopeMessage('tokens:write')}
        </p>
      )}
      {error && <ApiErrorNotice error={error.error} action={`${labels[error.action]} of “${token.name}”`} />}

      {pending === 'rotate' && (
        <ConfirmDialog
          title={`Rotate “${token.name}”?`}
          confirmLabel="Rotate"
          busy={busy}
          onConfirm={(form) => confirm('rotate', form)}
          onCancel={() => setPending(null)}
        >
          <p>A successor is issued with the same owner and scopes. This token keeps verifying until the grace period ends.</p>
          <label htmlFor="grace-hours">Grace period in hours</label>
          <input
            id="grace-hours"
            name="graceHours"
            type="number"
            min="0"
            max="2160"
            step="any"
            defaultValue={defaultGraceSeconds === null ? '' : String(defaultGraceSeconds / hourSeconds)}
            placeholder="the keyspace policy's"
          />
        </ConfirmDialog>
      )}
      {(pending === 'revoke' || pending === 'disable' || pending === 'enable') && (
        <ConfirmDialog
          title={`${labels[pending]} “${token.name}”?`}
          confirmLabel={labels[pending]}
          danger={pending !== 'enable'}
          busy={busy}
          onConfirm={(form) => confirm(pending, form)}
          onCancel={() => setPending(null)}
        >
          {pending === 'revoke' && <p>Revocation is permanent: the token stops verifying at once and cannot be enabled again.</p>}
          {pending === 'enable' && token.state === 'suspended' && (
            <p>The token was suspended because of an anomaly. Enabling it lets it verify again at once.</p>
          )}
          <label htmlFor="state-reason">{pending === 'revoke' ? 'Reason (required, recorded in the audit log)' : 'Reason (optional)'}</label>
          <input id="state-reason" name="reason" required={pending === 'revoke'} maxLength={500} />
        </ConfirmDialog>
      )}
    </div>
  );
}
