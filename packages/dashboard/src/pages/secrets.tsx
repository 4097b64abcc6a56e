import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import type { SecretSortField } from '../api/client.js';
import { loadPages } from '../api/load-pages.js';
import type { StoredSecret } from '../api/types.js';
import { PageHeader } from '../components/page-header.js';
import { ApiErrorNotice } from '../components/api-error-notice.js';
import { CreateSecretDialog, DuplicateWarning } from '../components/secret-dialogs.js';
import { SortableHeader, type ListSort } from '../components/sortable-header.js';
import { describeExpiry, formatTime } from '../format.js';
import { isStale, staleAfterDays } from '../secret-health.js';
import { useSession } from '../session.js';
import { usePolling } from '../use-polling.js';

// The page size of list requests; the API filters, sorts and pages, so the list shows any number of secrets.
const pageLimit = 500;
// Typing in the search field waits this long for a pause before it sends a request.
const searchDelayMs = 300;

/** Adds the values not yet in `known`, sorted, so a filter's choices keep what earlier pages showed. */
function mergeChoices(known: string[], values: readonly string[]): string[] {
  const merged = [...new Set([...known, ...values])].sort();
  return merged.length === known.length ? known : merged;
}

/** Lists secrets without their values, with filters, and adds new ones. */
export function SecretsPage() {
  const { api } = useSession();
  const [environment, setEnvironment] = useState('');
  const [owner, setOwner] = useState('');
  const [provider, setProvider] = useState('');
  const [search, setSearch] = useState('');
  const [appliedSearch, setAppliedSearch] = useState('');
  const [sort, setSort] = useState<ListSort<SecretSortField>>({ field: null, order: 'asc' });
  const [pages, setPages] = useState(1);
  const [environments, setEnvironments] = useState<string[]>([]);
  const [providers, setProviders] = useState<string[]>([]);
  const [creating, setCreating] = useState(false);
  const [stored, setStored] = useState<StoredSecret | null>(null);

  useEffect(() => {
    const timer = setTimeout(() => setAppliedSearch(search.trim()), searchDelayMs);
    return () => clearTimeout(timer);
  }, [search]);

  const secrets = usePolling(
    () =>
      loadPages(pages, (cursor) =>
        api.listSecrets({
          environment: environment.trim(),
          owner: owner.trim(),
          provider,
          q: appliedSearch,
          sort: sort.field ?? undefined,
          order: sort.field === null ? undefined : sort.order,
          limit: pageLimit,
          cursor,
        }),
      ),
    [api, environment, owner, provider, appliedSearch, sort, pages],
  );

  const listed = secrets.data?.items ?? [];
  // The choices grow with what the pages showed, so a chosen provider stays in its own list.
  useEffect(() => {
    setEnvironments((known) =>
      mergeChoices(
        known,
        listed.map((secret) => secret.environment),
      ),
    );
    setProviders((known) =>
      mergeChoices(
        known,
        listed.flatMap((secret) => (secret.provider ? [secret.provider] : [])),
      ),
    );
  }, [listed]);

  const sortHeader = (label: string, field: SecretSortField, firstOrder: 'asc' | 'desc') => (
    <SortableHeader label={label} field={field} firstOrder={firstOrder} sort={sort} onSort={setSort} />
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
            {secrets.data.more ? `The first ${listed.length} matching secrets; load more to see the rest.` : `${listed.length} matching secrets.`}
          </p>
          <div className="table-wrap">
            <table data-testid="secret-table">
              <thead>
                <tr>
                  {sortHeader('Name', 'name', 'asc')}
                  <th scope="col">Environment</th>
                  <th scope="col">Provider</th>
                  <th scope="col">Owner</th>
                  <th scope="col">Version</th>
                  {sortHeader('Expires', 'expiresAt', 'asc')}
                  {sortHeader('Updated', 'updatedAt', 'desc')}
                  <th scope="col">Last read</th>
                </tr>
              </thead>
              <tbody>
                {listed.map((secret) => (
                  <tr key={secret.id}>
                    <td>
                      <Link to={`/secrets/${secret.environment}/${secret.name}`}>{secret.name}</Link>
                    </td>
                    <td>{secret.environment}</td>
                    <td>{secret.provider ?? <em>unknown</em>}</td>
                    <td>{secret.owner ?? <em>none</em>}</td>
                    <td>{secret.version}</td>
                    <td title={formatTime(secret.expiresAt)}>{secret.expiresAt ? describeExpiry(secret.expiresAt) : 'unknown'}</td>
                    <td>{formatTime(secret.updatedAt)}</td>
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
          {secrets.data.more && (
            <button type="button" onClick={() => setPages(pages + 1)}>
              Load {pageLimit} more
            </button>
          )}
        </>
      )}
    </section>
  );
}
