import { hasScope, missingScopeMessage, type AdminScope } from '../api/permissions.js';
import { useSession } from '../session.js';

interface PageHeaderProps {
  /** The heading's element id, which the page's section is labelled by. */
  titleId: string;
  title: string;
  actionLabel: string;
  /** The scope the action needs. Without it the button is disabled and the reason is shown below it. */
  scope: AdminScope;
  /** The id of the note that explains a disabled action. */
  deniedId: string;
  onAction(): void;
}

/** Renders a list page's heading with its main action, such as creating a token or adding a secret. */
export function PageHeader({ titleId, title, actionLabel, scope, deniedId, onAction }: PageHeaderProps) {
  const { caller } = useSession();
  const allowed = hasScope(caller, scope);

  return (
    <>
      <div className="page-header">
        <h1 id={titleId}>{title}</h1>
        <button type="button" className="primary" disabled={!allowed} aria-describedby={allowed ? undefined : deniedId} onClick={onAction}>
          {actionLabel}
        </button>
      </div>
      {!allowed && (
        <p id={deniedId} className="notice">
          {missingScopeMessage(scope)}
        </p>
      )}
    </>
  );
}
