import { useState, type FormEvent } from 'react';
import type { AuditEntry } from '../api/types.js';
import { ApiErrorNotice } from '../components/api-error-notice.js';
import { AuditTable } from '../components/audit-table.js';
import { useSession } from '../session.js';
import { usePolling } from '../use-polling.js';

interface AuditFilters {
  action: string;
  targetId: string;
  actorId: string;
  order: 'asc' | 'desc';
}

const pageLimit = 100;
const noFilters: AuditFilters = { action: '', targetId: '', actorId: '', order: 'desc' };

/** Renders the audit log with filters and the hash chain's verification status. */
export function AuditLogPage() {
  const { api } = useSession();
  const [filters, setFilters] = useState<AuditFilters>(noFilters);
  const [pages, setPages] = useState(1);

  // Checking the chain reads every entry, so it runs on opening the page and on request, not on every poll.
  const chain = usePolling(() => api.verifyAudit(), [api], null);
  const entries = usePolling(async () => {
    const items: AuditEntry[] = [];
    let cursor: string | undefined;
    let more = false;
    for (let page = 0; page < pages; page += 1) {
      const result = await api.listAudit({ ...filters, limit: pageLimit, cursor });
      items.push(...result.items);
      more = result.nextCursor !== null;
      if (!more) break;
      cursor = result.nextCursor ?? undefined;
    }
    return { items, more };
  }, [api, filters, pages]);

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    setPages(1);
    setFilters({ action: text('action'), targetId: text('targetId'), actorId: text('actorId'), order: text('order') === 'asc' ? 'asc' : 'desc' });
  }

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>

      <div className="chain-status" data-testid="chain-status" role="status">
        {chain.error && <ApiErrorNotice error={chain.error} action="Verifying the hash chain" />}
        {chain.data &&
          (chain.data.ok ? (
            <p className="notice notice-ok">Hash chain verified: {chain.data.checked} entries, none altered or missing.</p>
          ) : (
            <p className="notice notice-error">
              Hash chain broken at entry {chain.data.firstBreak?.seq}: {chain.data.firstBreak?.message}
            </p>
          ))}
        <button type="button" onClick={chain.reload}>
          Verify the chain again
        </button>
      </div>

      <form className="filters" role="search" aria-label="Filter audit entries" onSubmit={apply}>
        <label>
          Action
          <input name="action" placeholder="e.g. token.revoke" defaultValue={filters.action} />
        </label>
        <label>
          Target id
          <input name="targetId" defaultValue={filters.targetId} />
        </label>
        <label>
          Actor id
          <input name="actorId" defaultValue={filters.actorId} />
        </label>
        <label>
          Order
          <select name="order" defaultValue={filters.order}>
            <option value="desc">newest first</option>
            <option value="asc">oldest first</option>
          </select>
        </label>
        <button type="submit">Apply filters</button>
      </form>

      {entries.error && <ApiErrorNotice error={entries.error} action="Loading the audit log" />}
      {entries.data && <AuditTable entries={entries.data.items} />}
      {entries.data?.more && (
        <button type="button" onClick={() => setPages(pages + 1)}>
          Load {pageLimit} more
        </button>
      )}
    </section>
  );
}
