import { useState, type ChangeEvent, type FormEvent } from 'react';
import { Link } from 'react-router';
import { toApiError, type ApiError } from '../api/client.js';
import { hasScope, missingScopeMessage } from '../api/permissions.js';
import type { ReviewItem, ReviewReport } from '../api/types.js';
import { ApiErrorNotice } from '../components/api-error-notice.js';
import { formatTime } from '../format.js';
import { downloadReview, parseMembers, type ReviewFormat } from '../review-export.js';
import { useSession } from '../session.js';

// The API takes members comma-separated in the query, so a name with a comma cannot be sent.
const memberSeparator = ',';

function itemLink(item: ReviewItem) {
  if (item.type === 'token') return <Link to={`/tokens/${item.id}`}>{item.name}</Link>;
  return <Link to={`/secrets/${item.group}/${item.name}`}>{item.name}</Link>;
}

/** Runs an access review per owner against an optional member list, shows it and exports it. */
export function AccessReviewPage() {
  const { api, caller } = useSession();
  const canReview = hasScope(caller, 'review:read');
  const [membersText, setMembersText] = useState('');
  const [report, setReport] = useState<ReviewReport | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [inputError, setInputError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function readFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (file) setMembersText(await file.text());
  }

  async function run(event: FormEvent) {
    event.preventDefault();
    const members = parseMembers(membersText);
    const withSeparator = members.find((member) => member.includes(memberSeparator));
    if (withSeparator !== undefined) {
      setInputError(`Members: “${withSeparator}” contains a comma, which the API uses between names. Remove the comma from that line.`);
      return;
    }

    setInputError(null);
    setError(null);
    setBusy(true);
    try {
      setReport(await api.runReview(members.length === 0 ? null : members));
    } catch (failure) {
      setError(toApiError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="review-title">
      <h1 id="review-title">Access review</h1>
      <p>
        Every token in service and every secret, grouped by owner, with scopes, last use and the reason each exists. Owners missing from the member list, and
        items without an owner, are flagged as orphaned.
      </p>
      <form className="review-form" onSubmit={run}>
        <label htmlFor="review-members">Current members (optional): one person or team per line; lines starting with # are skipped</label>
        <textarea id="review-members" rows={5} value={membersText} onChange={(event) => setMembersText(event.target.value)} spellCheck={false} />
        <label htmlFor="review-members-file">Or read the list from a file</label>
        <input id="review-members-file" type="file" accept=".txt,text/plain" onChange={readFile} />
        <div className="button-row">
          <button type="submit" className="primary" disabled={busy || !canReview} aria-describedby={canReview ? undefined : 'review-denied'}>
            {busy ? 'Running…' : 'Run review'}
          </button>
        </div>
        {!canReview && (
          <p id="review-denied" className="notice">
            {missingScopeMessage('review:read')}
          </p>
        )}
      </form>
      {inputError && (
        <p className="notice notice-error" role="alert">
          {inputError}
        </p>
      )}
      {error && <ApiErrorNotice error={error} action="Running the access review" />}

      {report && (
        <div data-loaded="review">
          <p role="status">
            {report.summary.items} tokens and secrets held by {report.summary.owners} owners; <strong>{report.summary.orphanedItems} orphaned</strong>.{' '}
            {report.members === null && 'No member list was given, so only items without an owner count as orphaned.'} Generated{' '}
            {formatTime(report.generatedAt)}.
          </p>
          <div className="button-row" role="group" aria-label="Export the review">
            {(['markdown', 'csv', 'json'] as ReviewFormat[]).map((format) => (
              <button key={format} type="button" onClick={() => downloadReview(report, format)}>
                Export {format === 'markdown' ? 'Markdown' : format.toUpperCase()}
              </button>
            ))}
          </div>
          {report.owners.map((owner) => (
            <section key={owner.owner ?? ''} className="review-owner" aria-label={`Owner ${owner.owner ?? 'none'}`} data-orphaned={owner.orphaned}>
              <h2>
                {owner.owner ?? <em>No owner</em>} {owner.orphaned && <span className="badge badge-revoked">orphaned</span>}
              </h2>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Type</th>
                      <th scope="col">Keyspace or environment</th>
                      <th scope="col">Name</th>
                      <th scope="col">Scopes</th>
                      <th scope="col">Last used</th>
                      <th scope="col">Expires</th>
                      <th scope="col">Why</th>
                    </tr>
                  </thead>
                  <tbody>
                    {owner.items.map((item) => (
                      <tr key={item.id}>
                        <td>{item.type}</td>
                        <td>{item.group}</td>
                        <td>{itemLink(item)}</td>
                        <td>{item.scopes.length === 0 ? '—' : item.scopes.join(' ')}</td>
                        <td>{item.lastUsedAt ? formatTime(item.lastUsedAt) : 'never'}</td>
                        <td>{formatTime(item.expiresAt)}</td>
                        <td>{item.description ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          ))}
        </div>
      )}
    </section>
  );
}
