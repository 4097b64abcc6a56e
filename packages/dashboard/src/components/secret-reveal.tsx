import { useEffect, useState } from 'react';
import { toApiError, type ApiError } from '../api/client.js';
import { hasScope, missingScopeMessage } from '../api/permissions.js';
import type { RevealedSecret, Secret } from '../api/types.js';
import { useSession } from '../session.js';
import { ApiErrorNotice } from './api-error-notice.js';

// Recorded as the purpose in the secret.reveal audit entry.
const revealPurpose = 'dashboard';

/**
 * Reveals a secret's current value on request. The value lives only in this component's state, which
 * drops it on Hide value, on a new version, when the tab is hidden, and when leaving the page unmounts the component.
 */
export function SecretReveal({ secret, onRevealed }: { secret: Secret; onRevealed(): void }) {
  const { api, caller } = useSession();
  const [revealed, setRevealed] = useState<RevealedSecret | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const canReveal = hasScope(caller, 'secrets:reveal');

  // A shown value that is no longer the current version would mislead, so it is dropped.
  useEffect(() => {
    if (revealed && revealed.version !== secret.version) setRevealed(null);
  }, [revealed, secret.version]);

  // A hidden tab drops the value, so it is not left on an unattended screen.
  useEffect(() => {
    const hide = () => {
      if (document.visibilityState === 'hidden') setRevealed(null);
    };
    document.addEventListener('visibilitychange', hide);
    return () => document.removeEventListener('visibilitychange', hide);
  }, []);

  async function reveal() {
    setBusy(true);
    setError(null);
    try {
      setRevealed(await api.revealSecret(secret.environment, secret.name, revealPurpose));
      onRevealed();
    } catch (failure) {
      setError(toApiError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="secret-reveal">
      <p id="reveal-note" className="muted">
        Revealing writes a <code>secret.reveal</code> entry to the audit log with this admin token and your address, and is limited to 60 values a minute.
      </p>
      {revealed ? (
        <>
          <code className="secret-value" data-testid="revealed-value">
            {revealed.value}
          </code>
          <p className="muted">Version {revealed.version}. The value is dropped when you hide it, leave this page or switch tabs.</p>
          <button type="button" onClick={() => setRevealed(null)}>
            Hide value
          </button>
        </>
      ) : (
        <button type="button" className="primary" disabled={!canReveal || busy} aria-describedby={canReveal ? 'reveal-note' : 'reveal-denied'} onClick={reveal}>
          {busy ? 'Revealing…' : 'Reveal value'}
        </button>
      )}
      {!canReveal && (
        <p id="reveal-denied" className="notice">
          {missingScopeMessage('secrets:reveal')}
        </p>
      )}
      {error && <ApiErrorNotice error={error} action="Revealing the value" />}
    </div>
  );
}
