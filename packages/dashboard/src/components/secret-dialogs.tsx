import { useState } from 'react';
import { toApiError, type ApiError } from '../api/client.js';
import type { Secret, StoredSecret } from '../api/types.js';
import { useSession } from '../session.js';
import { ApiErrorNotice } from './api-error-notice.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { SecretFields, secretInputOf } from './secret-form.js';

/** Collects a new secret's name, environment, value and metadata, then stores it. */
export function CreateSecretDialog({ onCreated, onCancel }: { onCreated(stored: StoredSecret): void; onCancel(): void }) {
  const { api } = useSession();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(form: FormData) {
    setBusy(true);
    setError(null);
    try {
      const stored = await api.createSecret({
        name: String(form.get('name') ?? '').trim(),
        environment: String(form.get('environment') ?? '').trim(),
        value: String(form.get('value') ?? ''),
        ...secretInputOf(form),
      });
      onCreated(stored);
    } catch (failure) {
      setError(toApiError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <ConfirmDialog title="Add a secret" confirmLabel="Add secret" busy={busy} onConfirm={create} onCancel={onCancel}>
      <p>The value is encrypted on the server and is never shown again unless someone with the secrets:reveal scope reveals it.</p>
      <label htmlFor="secret-name">Name (an environment variable name)</label>
      <input id="secret-name" name="name" required maxLength={128} pattern="[A-Za-z_][A-Za-z0-9_]*" autoComplete="off" />
      <label htmlFor="secret-environment">Environment</label>
      <input id="secret-environment" name="environment" required maxLength={63} pattern="[a-z0-9][a-z0-9._\-]*" placeholder="production" />
      <SecretFields valueRequired />
      {error && <ApiErrorNotice error={error} action="Adding the secret" />}
    </ConfirmDialog>
  );
}

/** Edits a secret's metadata and, when a new value is typed, stores it as the next version. */
export function EditSecretDialog({ secret, onSaved, onCancel }: { secret: Secret; onSaved(stored: StoredSecret): void; onCancel(): void }) {
  const { api } = useSession();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function save(form: FormData) {
    const value = String(form.get('value') ?? '');
    setBusy(true);
    setError(null);
    try {
      onSaved(await api.updateSecret(secret.environment, secret.name, { ...secretInputOf(form), ...(value !== '' && { value }) }));
    } catch (failure) {
      setError(toApiError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <ConfirmDialog title={`Edit ${secret.name} in ${secret.environment}`} confirmLabel="Save" busy={busy} onConfirm={save} onCancel={onCancel}>
      <SecretFields secret={secret} valueRequired={false} />
      {error && <ApiErrorNotice error={error} action="Saving the secret" />}
    </ConfirmDialog>
  );
}

/** Names the other secrets that hold the same value, as create and update report them. */
export function DuplicateWarning({ stored }: { stored: StoredSecret }) {
  if (stored.duplicates.length === 0) return null;
  const names = stored.duplicates.map((duplicate) => `${duplicate.name} (${duplicate.environment})`).join(', ');
  return (
    <p className="notice" role="status">
      {stored.secret.name} holds the same value as {names}. One credential in several places is harder to rotate and to revoke.
    </p>
  );
}
