import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { loadSecrets, maxSecretsLoaded } from '../api/all-secrets.js';
import type { Secret, StoredSecret } from '../api/types.js';
import { PageHeader } from '../components/page-header.js';
import { ApiErrorNotice } from '../components/api-error-notice.js';
import { CreateSecretDialog, DuplicateWarning } from '../components/secret-dialogs.js';
import { describeExpiry, formatTime } from '../format.js';
import { isStale, staleAfterDays } from '../secret-health.js';
import { useSession } from '../session.js';
import { usePolling } from '../use-polling.js';

/** Returns whether the search text occurs, ignoring case, in the secret's name, owner, provider, description or tags. */
function matchesSearch(secret: Secret, search: string): boolean {
  const needle = search.toLowerCase();
  const fields = [secret.name, secret.owner ?? '', secret.provider ?? '', secret.description ?? '', ...secret.tags];
  return fields.some((field) => field.toLowerCase().includes(needle));
}

/** Lists secrets without their values, with filters, and adds new ones. */
export function SecretsPage() {
  const { api } = useSession();
  const [environment, setEnvironment] = useState('');
  const [owner, setOwner] = useState('');
  const [provider, setProvider] = useState('');
  const [search, setSearch] = useState('');
  const [creating, setCreating] = useState(false);
  const [stored, setStored] = useState<StoredSecret | null>(null);

  // Environment and owner are filtered by the API, which matches them exactly.
  const secrets = usePolling(() => loadSecrets(api, { environment: environment.trim(), owner: owner.trim() }), [api, environment, owner]);

  const all = secrets.data?.items ?? [];
  const environments = useMemo(() => [...new Set(all.map((secret) => secret.environment))].sort(), [all]);
  const providers = useMemo(() => [...new Set(all.flatMap((secret) => (secret.provider ? [secret.provider] : [])))].sort(), [all]);
  const matchingSecrets = all.filter(
    (secret) => (provider === '' || secret.provider === provider) && (search.trim() === '' || matchesSearch(secret, search.trim())),
  );

  function created(result: StoredSecret) {
    setCreating(false);
    setStored(result);
    secrets.reload();
  }

  return (
    <section aria-labelledby="secrets-title">
      <PageHeader
        titleId="secrets-title"
        title="Secrets"
        actionLabel="Add secret"
        scope="secrets:write"
        deniedId="add-secret-denied"
        onAction={() => setCreating(true)}
      />
      {stored && (
        <p className="notice" role="status">
          Stored <Link to={`/secrets/${stored.secret.environment}/${stored.secret.name}`}>{stored.secret.name}</Link> in {stored.secret.environment}, version{' '}
          {stored.secret.version}.
        </p>
      )}
      {stored && <DuplicateWarning stored={stored} />}
      {creating && <CreateSecretDialog onCreated={created} onCancel={() => setCreating(false)} />}

      <form className="filters" role="search" aria-label="Filter secrets" onSubmit={(event) => event.preventDefault()}>
        <label>
          Search
          <input type="search" value={search} onChange={(event) => setSearch(event.target.value)} placeholder="name, owner, provider, description, tag" />
        </label>
        <label>
          Environment
          <input value={environment} onChange={(event) => setEnvironment(event.target.value)} placeholder="all" list="secret-environments" />
          <datalist id="secret-environments">
            {environments.map((item) => (
              <option key={item} value={item} />
            ))}
          </datalist>
        </label>
        <label>
          Owner
          <input value={owner} onChange={(event) => setOwner(event.target.value)} placeholder="any" />
        </label>
        <label>
          Provider
          <select value={provider} onChange={(event) => setProvider(event.target.value)}>
            <option value="">any</option>
            {providers.map((item) => (
              <option key={item}>{item}</option>
            ))}
          </select>
        </label>
      </form>

      {secrets.error && <ApiErrorNotice error={secrets.error} action="Loading secrets" />}
      {!secrets.data && !secrets.error && <p role="status">Loading…</p>}
      {secrets.data && (
        <>
          <p className="muted" role="status">
            {secrets.data.more
              ? `The first ${maxSecretsLoaded} secrets were searched; narrow by environment or owner to see the rest.`
              : `${matchingSecrets.length} matching secrets.`}
          </p>
          <div className="table-wrap">
            <table data-testid="secret-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Environment</th>
                  <th scope="col">Provider</th>
                  <th scope="col">Owner</th>
                  <th scope="col">Version</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last read</th>
                </tr>
              </thead>
              <tbody>
                {matchingSecrets.map((secret) => (
                  <tr key={secret.id}>
                    <td>
                      <Link to={`/secrets/${secret.environment}/${secret.name}`}>{secret.name}</Link>
                    </td>
                    <td>{secret.environment}</td>
                    <td>{secret.provider ?? <em>unknown</em>}</td>
                    <td>{secret.owner ?? <em>none</em>}</td>
                    <td>{secret.version}</td>
                    <td title={formatTime(secret.expiresAt)}>{secret.expiresAt ? describeExpiry(secret.expiresAt) : 'unknown'}</td>
                    <td>
                      {formatTime(secret.lastReadAt)}
                      {isStale(secret) && (
                        <span className="badge" title={`not read for ${staleAfterDays} days`}>
                          {' '}
                          stale
                        </span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
