import { Link } from 'react-router';
import type { AuditEntry } from '../api/types.js';
import { formatTime } from '../format.js';

/** Renders audit entries as a table, with each token target linked to its page. */
export function AuditTable({ entries }: { entries: AuditEntry[] }) {
  if (entries.length === 0) return <p>No audit entries match.</p>;
  return (
    <div className="table-wrap">
      <table data-testid="audit-table">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Time</th>
            <th scope="col">Action</th>
            <th scope="col">Outcome</th>
            <th scope="col">Actor</th>
            <th scope="col">Target</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.seq}>
              <td>{entry.seq}</td>
              <td>{formatTime(entry.occurredAt)}</td>
              <td>
                <code>{entry.action}</code>
              </td>
              <td className={`outcome-${entry.outcome}`}>{entry.outcome}</td>
              <td>{entry.actor.hint ?? entry.actor.id ?? entry.actor.type}</td>
              <td>
                {entry.target.type === 'token' && entry.target.id ? (
                  <Link to={`/tokens/${entry.target.id}`}>token {entry.target.id.slice(-8)}</Link>
                ) : (
                  (entry.target.type ?? '—')
                )}
              </td>
              <td className="details">{Object.keys(entry.details).length > 0 ? JSON.stringify(entry.details) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
