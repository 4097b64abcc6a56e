import { useState } from 'react';
import { ApiError } from '../api/client.js';
import type { IssuedToken, Keyspace } from '../api/types.js';
import { useSession } from '../session.js';
import { ApiErrorNotice } from './api-error-notice.js';
import { ConfirmDialog } from './confirm-dialog.js';

const daySeconds = 86_400;

/** Collects a new token's fields, confirms, and hands the issued token (with its one-time secret) to `onCreated`. */
export function CreateTokenDialog({
  keyspaces,
  onCreated,
  onCancel,
}: {
  keyspaces: Keyspace[] | null;
  onCreated(issued: IssuedToken): void;
  onCancel(): void;
}) {
  const { api } = useSession();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(form: FormData) {
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const scopes = text('scopes')
      .split(/[\s,]+/)
      .filter(Boolean);
    const expiresInDays = text('expiresInDays');
    const owner = text('owner');

    setBusy(true);
    setError(null);
    try {
      const issued = await api.createToken({
        keyspace: text('keyspace'),
        name: text('name'),
        scopes,
        ...(owner && { owner }),
        ...(expiresInDays && { expiresInSeconds: Math.round(Number(expiresInDays) * daySeconds) }),
      });
      onCreated(issued);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure : new ApiError(0, 'CLIENT_ERROR', String(failure)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <ConfirmDialog title="Create a token" confirmLabel="Create token" busy={busy} onConfirm={create} onCancel={onCancel}>
      <label htmlFor="create-keyspace">Keyspace</label>
      {keyspaces ? (
        <select id="create-keyspace" name="keyspace" required>
          {keyspaces.map((keyspace) => (
            <option key={keyspace.id} value={keyspace.name}>
              {keyspace.name}
            </option>
          ))}
        </select>
      ) : (
        <input id="create-keyspace" name="keyspace" required placeholder="e.g. billing" />
      )}
      <label htmlFor="create-name">Name</label>
      <input id="create-name" name="name" required maxLength={200} />
      <label htmlFor="create-owner">Owner (optional)</label>
      <input id="create-owner" name="owner" maxLength={200} placeholder="a person or team" />
      <label htmlFor="create-scopes">Scopes (comma or space separated)</label>
      <input id="create-scopes" name="scopes" placeholder="invoices:read, invoices:write" />
      <label htmlFor="create-expiry">Expires in days (empty: the keyspace policy’s maximum)</label>
      <input id="create-expiry" name="expiresInDays" type="number" min="0.01" step="any" />
      {error && <ApiErrorNotice error={error} action="Creating the token" />}
    </ConfirmDialog>
  );
}
