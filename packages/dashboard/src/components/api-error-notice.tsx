import type { ApiError } from '../api/client.js';

/** Names what each error status means for the signed-in user. */
function explain(error: ApiError): string {
  if (error.status === 403) return 'The API answered 403 Forbidden, because the signed-in admin token may not do this:';
  if (error.status === 401) return 'The API answered 401, so the admin token is no longer valid (expired, revoked or disabled); sign out and in again:';
  if (error.status === 0) return '';
  return `The API answered ${error.status} ${error.code}:`;
}

/** Shows an API error with its status and the API's own message, which names the field and the fix. */
export function ApiErrorNotice({ error, action }: { error: ApiError; action?: string }) {
  return (
    <div className="notice notice-error" role="alert" data-status={error.status}>
      <strong>{action ? `${action} failed.` : 'The request failed.'}</strong> {explain(error)} <q className="api-message">{error.message}</q>
    </div>
  );
}
