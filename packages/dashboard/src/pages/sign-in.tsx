import { useState, type FormEvent } from 'react';
import { ApiError, createApiClient } from '../api/client.js';
import type { Session } from '../session.js';

/**
 * Asks for an admin token and checks it with GET /v1/me. The token goes only into the API client
 * in memory, and the field is cleared on success. The browser never submits the form itself, so the
 * token cannot reach a URL or the history.
 */
export function SignIn({ onSignedIn }: { onSignedIn(session: Omit<Session, 'signOut'>): void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const input = form.elements.namedItem('adminToken') as HTMLInputElement;
    const adminToken = input.value.trim();
    if (!adminToken) {
      setError('Enter an admin token. The first one is printed once by tessera init or the first tessera serve.');
      return;
    }

    setBusy(true);
    setError(null);
    const api = createApiClient(adminToken);
    try {
      const caller = await api.me();
      input.value = '';
      onSignedIn({ api, caller });
    } catch (failure) {
      setError(signInMessage(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="sign-in" id="main">
      <form onSubmit={submit} className="card sign-in-card" aria-describedby={error ? 'sign-in-error' : undefined}>
        <h1>Tessera</h1>
        <p>Sign in with an admin token. It is kept in this tab’s memory only, so reloading the page signs you out.</p>
        <label htmlFor="admin-token">Admin token</label>
        <input id="admin-token" name="adminToken" type="password" autoComplete="off" spellCheck={false} required autoFocus />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        {error && (
          <p id="sign-in-error" className="notice notice-error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

function signInMessage(failure: unknown): string {
  if (!(failure instanceof ApiError)) return `Sign-in failed: ${String(failure)}`;
  if (failure.status === 401) {
    // The API returns the same 401 for every rejected token, so the message lists all the possible causes.
    return 'Sign-in failed: the server rejected this admin token. It is mistyped, expired, revoked, disabled or not an admin token. Paste the whole token, or ask for a new one.';
  }
  return `Sign-in failed: ${failure.message}`;
}
