// Shapes of the Tessera HTTP API and the list of token states, taken from the server package
// itself so the dashboard and the API cannot drift apart. The root `npm run build` builds that
// package first.

import { tokenStates, type TokenState } from 'tessera/dist/core/token-state.js';
import type { AuditVerification } from 'tessera/dist/services/audit-log.js';
import type { RotatedToken } from 'tessera/dist/services/rotation.js';
import type { IssuedToken } from 'tessera/dist/services/tokens.js';
import type { TokenSummary } from 'tessera/dist/services/token-summary.js';
import type { TesseraEvent } from 'tessera/dist/services/events.js';
import type { AuditEntry, Keyspace, Page, Token } from 'tessera/dist/services/views.js';
import type { ReviewItem, ReviewReport } from 'tessera/dist/services/review.js';
import type { RevealedSecret } from 'tessera/dist/services/secret-reveal.js';
import type { Secret, SecretDetails } from 'tessera/dist/services/secret-views.js';
import type { StoredSecret } from 'tessera/dist/services/secrets.js';

export type { AuditEntry, AuditVerification, IssuedToken, Keyspace, Page, RotatedToken, Token, TokenState, TokenSummary };
export type { RevealedSecret, ReviewItem, ReviewReport, Secret, SecretDetails, StoredSecret, TesseraEvent };
// A plain list without imports, so bundling it brings nothing else of the server along.
export { tokenStates };

/** The signed-in admin token as GET /v1/me describes it. */
export interface Caller {
  id: string | null;
  hint: string | null;
  scopes: string[];
  keyspaces: string[] | null;
}
