import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import type { TokenSortField } from '../api/client.js';
import { loadPages } from '../api/load-pages.js';
import { hasScope } from '../api/permissions.js';
import { tokenStates, type IssuedToken } from '../api/types.js';
import { PageHeader } from '../components/page-header.js';
import { SortableHeader, type ListSort } from '../components/sortable-header.js';
import { ApiErrorNotice } from '../components/api-error-notice.js';
import { CreateTokenDialog } from '../components/create-token-dialog.js';
import { SecretOnce } from '../components/secret-once.js';
import { StateBadge } from '../components/state-badge.js';
import { describeExpiry, formatTime } from '../format.js';
import { useSession } from '../session.js';
import { usePolling } from '../use-polling.js';

// The page size of list requests; the API filters, sorts and pages, so the list shows any number of tokens.
const pageLimit = 500;
// Typing in the search field waits this long for a pause before it sends a request.
const searchDelayMs = 300;

export function TokensPage() {
  const { api, caller } = useSession();
  const [keyspace, setKeyspace] = useState('');
  const [owner, setOwner] = useState('');
  const [state, setState] = useState('');
  const [search, setSearch] = useState('');
  const [appliedSearch, setAppliedSearch] = useState('');
  const [expiringWithinDays, setExpiringWithinDays] = useState('');
  const [sort, setSort] = useState<ListSort<TokenSortField>>({ field: null, order: 'desc' });
  const [pages, setPages] = useState(1);
  const [creating, setCreating] = useState(false);
  const [issued, setIssued] = useState<IssuedToken | null>(null);

  useEffect(() => {
    const timer = setTimeout(() => setAppliedSearch(search.trim()), searchDelayMs);
    return () => clearTimeout(timer);
  }, [search]);

  const keyspaces = usePolling(() => (hasScope(caller, 'keyspaces:read') ? api.listKeyspaces() : Promise.resolve(null)), [api, caller]);
  const tokens = usePolling(
    () =>
      loadPages(pages, (cursor) =>
        api.listTokens({
          keyspace,
          owner: owner.trim(),
          // "Expiring within" means upcoming expiries, so without a chosen state it requests active tokens only.
          state: state === '' && expiringWithinDays !== '' ? 'active' : state,
          q: appliedSearch,
          expiringWithinDays: expiringWithinDays === '' ? undefined : Number(expiringWithinDays),
          sort: sort.field ?? undefined,
          order: sort.field === null ? undefined : sort.order,
          limit: pageLimit,
          cursor,
        }),
      ),
    [api, keyspace, owner, state, appliedSearch, expiringWithinDays, sort, pages],
  );

  const listed = tokens.data?.items ?? [];
  const sortHeader = (label: string, field: TokenSortField, firstOrder: 'asc' | 'desc') => (
    <SortableHeader label={label} field={field} firstOrder={firstOrder} sort={sort} onSort={setSort} />
  );

  function created(result: IssuedToken) {
    setCreating(false);
    setIssued(result);
    tokens.reload();
  }

  return (
    <section aria-labelledby="tokens-title">
      <PageHeader
        titleId="tokens-title"
        title="Tokens"
        actionLabel="Create token"
        scope="tokens:write"
        deniedId="create-denied"
        onAction={() => setCreating(true)}
      />
      {issued && <SecretOnce secret={issued.secret} title={`Token “${issued.token.name}” created: its secret`} onDismiss={() => setIssued(null)} />}
      {creating && <CreateTokenDialog keyspaces={keyspaces.data?.items ?? null} onCreated={created} onCancel={() => setCreating(false)} />}

      <form className="filters" role="search" aria-label="Filter tokens" onSubmit={(event) => event.preventDefault()}>
        <label>
          Search
          <input type="search" value={search} onChange={(event) => setSearch(event.target.value)} placeholder="name, owner, description, hint or id" />
        </label>
        <label>
          Keyspace
          {keyspaces.data ? (
            <select value={keyspace} onChange={(event) => setKeyspace(event.target.value)}>
              <option value="">all</option>
              {keyspaces.data.items.map((item) => (
                <option key={item.id}>{item.name}</option>
              ))}
            </select>
          ) : (
            <input value={keyspace} onChange={(event) => setKeyspace(event.target.value.trim())} placeholder="all" />
          )}
        </label>
        <label>
          Owner
          <input value={owner} onChange={(event) => setOwner(event.target.value)} placeholder="any" />
        </label>
        <label>
          State
          <select value={state} onChange={(event) => setState(event.target.value)}>
            <option value="">any</option>
            {tokenStates.map((item) => (
              <option key={item}>{item}</option>
            ))}
          </select>
        </label>
        <label>
          Expiring within
          <select value={expiringWithinDays} onChange={(event) => setExpiringWithinDays(event.target.value)}>
            <option value="">any time</option>
            <option value="1">1 day</option>
            <option value="7">7 days</option>
            <option value="30">30 days</option>
            <option value="90">90 days</option>
          </select>
        </label>
      </form>

      {tokens.error && <ApiErrorNotice error={tokens.error} action="Loading tokens" />}
      {!tokens.data && !tokens.error && <p role="status">Loading…</p>}
      {tokens.data && (
        <>
          <p className="muted" role="status">
            {tokens.data.more ? `The first ${listed.length} matching tokens; load more to see the rest.` : `${listed.length} matching tokens.`}
          </p>
          <div className="table-wrap">
            <table data-testid="token-table">
              <thead>
                <tr>
                  {sortHeader('Name', 'name', 'asc')}
                  <th scope="col">State</th>
                  <th scope="col">Keyspace</th>
                  {sortHeader('Owner', 'owner', 'asc')}
                  <th scope="col">Hint</th>
                  {sortHeader('Expires', 'expiresAt', 'asc')}
                  {sortHeader('Last used', 'lastUsedAt', 'desc')}
                  {sortHeader('Created', 'createdAt', 'desc')}
                </tr>
              </thead>
              <tbody>
                {listed.map((token) => (
                  <tr key={token.id} data-token-id={token.id}>
                    <td>
                      <Link to={`/tokens/${token.id}`}>{token.name}</Link>
                    </td>
                    <td>
                      <StateBadge state={token.state} />
                    </td>
                    <td>{token.keyspace}</td>
                    <td>{token.owner ?? <em>none</em>}</td>
                    <td>
                      <code>{token.hint}</code>
                    </td>
                    <td title={formatTime(token.expiresAt)}>{describeExpiry(token.expiresAt)}</td>
                    <td>{formatTime(token.lastUsedAt)}</td>
                    <td>{formatTime(token.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {tokens.data.more && (
            <button type="button" onClick={() => setPages(pages + 1)}>
              Load {pageLimit} more
            </button>
          )}
        </>
      )}
    </section>
  );
}
