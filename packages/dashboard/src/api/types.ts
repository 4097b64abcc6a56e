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
import type { SecretReader, SecretRetirementReport } from 'tessera/dist/services/secret-retirement.js';
import type { RotationHistory } from 'tessera/dist/services/secret-rotation-history.js';
import type { RotationView } from 'tessera/dist/services/secret-rotation.js';
import type { StoredSecret } from 'tessera/dist/services/secrets.js';
import type { Alert, AlertStatus } from 'tessera/dist/services/alerts.js';
import type { TokenUsage, UsageBucket } from 'tessera/dist/services/usage.js';
import type { TokenLimits } from 'tessera/dist/core/limits.js';

export type { AuditEntry, AuditVerification, IssuedToken, Keyspace, Page, RotatedToken, Token, TokenState, TokenSummary };
export type { RevealedSecret, ReviewItem, ReviewReport, Secret, SecretDetails, StoredSecret, TesseraEvent };
export type { Alert, AlertStatus, TokenLimits, TokenUsage, UsageBucket };
export type { RotationHistory, RotationView, SecretReader, SecretRetirementReport };
export type UsageStep = TokenUsage['step'];
// A plain list without imports, so bundling it brings nothing else of the server along.
export { tokenStates };
// A constant. Its module's other exports are mappers, which bundling leaves out.
export { adminKeyspaceName } from 'tessera/dist/services/views.js';
// Also a plain list; its module imports only the scope and state checks.
export { verifyCodes } from 'tessera/dist/core/verification.js';

/** The signed-in admin token as GET /v1/me describes it. */
export interface Caller {
  id: string | null;
  hint: string | null;
  scopes: string[];
  keyspaces: string[] | null;
}
