import { useState } from 'react';
import { ApiError } from '../api/client.js';
import { adminKeyspaceName, type IssuedToken, type Keyspace } from '../api/types.js';
import { useSession } from '../session.js';
import { ApiErrorNotice } from './api-error-notice.js';
import { ConfirmDialog } from './confirm-dialog.js';

const daySeconds = 86_400;

/** The scopes hint for a keyspace that lists none, or whose scopes the page cannot read. */
const neutralScopesHint = 'e.g. orders:read, orders:write';

/** Picks the first keyspace that is not `admin`, so a quick create never issues an admin token by accident. */
export function defaultKeyspaceName(keyspaces: Keyspace[] | null): string {
  if (!keyspaces) return '';
  const first = keyspaces.find((keyspace) => keyspace.name !== adminKeyspaceName) ?? keyspaces[0];
  return first?.name ?? '';
}

function scopesHint(keyspace: Keyspace | undefined): string {
  return keyspace && keyspace.scopes.length > 0 ? keyspace.scopes.join(', ') : neutralScopesHint;
}

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
  // null until the user picks one, so a keyspace list that arrives after the dialog opened still sets the default.
  const [chosenKeyspace, setChosenKeyspace] = useState<string | null>(null);
  const keyspaceName = chosenKeyspace ?? defaultKeyspaceName(keyspaces);
  const keyspace = keyspaces?.find((item) => item.name === keyspaceName);

  async function create(form: FormData) {
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const scopes = text('scopes')
      .split(/[\s,]+/)
      .filter(Boolean);
    const expiresInDays = text('expiresInDays');
    const owner = text('owner');
    const description = text('description');

    setBusy(true);
    setError(null);
    try {
      const issued = await api.createToken({
        keyspace: text('keyspace'),
        name: text('name'),
        scopes,
        ...(owner && { owner }),
        ...(description && { description }),
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
        <select
          id="create-keyspace"
          name="keyspace"
          required
          value={keyspaceName}
          onChange={(event) => setChosenKeyspace(event.target.value)}
          aria-describedby={keyspaceName === adminKeyspaceName ? 'create-admin-warning' : undefined}
        >
          {keyspaces.map((item) => (
            <option key={item.id} value={item.name}>
              {item.name}
            </option>
          ))}
        </select>
      ) : (
        <input
          id="create-keyspace"
          name="keyspace"
          required
          placeholder="e.g. billing"
          value={keyspaceName}
          onChange={(event) => setChosenKeyspace(event.target.value.trim())}
          aria-describedby={keyspaceName === adminKeyspaceName ? 'create-admin-warning' : undefined}
        />
      )}
      {keyspaceName === adminKeyspaceName && (
        <p id="create-admin-warning" className="notice">
          This issues an admin token for the Tessera API, which can manage tokens, keyspaces and secrets within its scopes.
        </p>
      )}
      <label htmlFor="create-name">Name</label>
      <input id="create-name" name="name" required maxLength={200} />
      <label htmlFor="create-owner">Owner (optional)</label>
      <input id="create-owner" name="owner" maxLength={200} placeholder="a person or team" />
      <label htmlFor="create-description">Description (optional; policies may require one)</label>
      <textarea id="create-description" name="description" maxLength={2000} rows={2} placeholder="what the token is for and where it is used" />
      <label htmlFor="create-scopes">Scopes (comma or space separated)</label>
      <input id="create-scopes" name="scopes" placeholder={scopesHint(keyspace)} />
      <label htmlFor="create-expiry">Expires in days (empty: the keyspace policy’s maximum)</label>
      <input id="create-expiry" name="expiresInDays" type="number" min="0.01" step="any" />
      {error && <ApiErrorNotice error={error} action="Creating the token" />}
    </ConfirmDialog>
  );
}
