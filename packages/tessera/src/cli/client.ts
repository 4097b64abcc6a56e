import type { TokenLimits } from '../core/limits.js';
import type { GlobalOptions } from './settings.js';
import type { EffectivePolicy } from '../core/policy-rules.js';
import type { Alert, AlertListInput } from '../services/alerts.js';
import type { Policy } from '../services/policies.js';
import type { RetirementReport } from '../services/retirement.js';
import type { CreatedWebhook, Webhook, WebhookDelivery, WebhookInput } from '../services/webhooks.js';
import type { AuditVerification } from '../services/audit-log.js';
import type { CreateKeyspaceInput } from '../services/keyspaces.js';
import type { LeakOutcome, LeakReportInput } from '../services/leak-report.js';
import type { RotatedToken, RotateTokenInput } from '../services/rotation.js';
import type { IssuedToken, IssueTokenInput, TokenListInput } from '../services/tokens.js';
import type { TokenUsage, UsageQueryInput } from '../services/usage.js';
import type { VerifyRequest, VerifyResult } from '../services/verifier.js';
import type { AuditEntry, Keyspace, Page, Token } from '../services/views.js';
import type { CheckPolicy } from '../core/check-policy.js';
import type { CheckReport } from '../services/check.js';
import type { ReviewReport } from '../services/review.js';
import type { ImportResult, ImportSecretsInput } from '../services/secret-import.js';
import type { RevealedSecret, RevealOptions } from '../services/secret-reveal.js';
import type { RotationView, RotatorView } from '../services/secret-rotation.js';
import type { RotationHistory, RotationHistoryQuery } from '../services/secret-rotation-history.js';
import type { SecretRetirementReport } from '../services/secret-retirement.js';
import type { RotatorInput } from '../core/rotator-config.js';
import type { Secret, SecretDetails } from '../services/secret-views.js';
import type { CreateSecretInput, SecretListInput, StoredSecret, UpdateSecretInput } from '../services/secrets.js';

/** The operations of the CLI, on the local data directory or against a server with --url. */
export interface TesseraClient {
  createKeyspace(input: CreateKeyspaceInput): Promise<Keyspace>;
  listKeyspaces(query: { limit?: number; cursor?: string }): Promise<Page<Keyspace>>;
  issueToken(input: IssueTokenInput): Promise<IssuedToken>;
  listTokens(query: TokenListInput): Promise<Page<Token>>;
  getToken(id: string): Promise<Token>;
  rotateToken(id: string, input: RotateTokenInput): Promise<RotatedToken>;
  changeTokenState(id: string, change: 'revoke' | 'disable' | 'enable', reason: string | null): Promise<Token>;
  verifyToken(request: VerifyRequest): Promise<VerifyResult>;
  getUsage(id: string, query: UsageQueryInput): Promise<TokenUsage>;
  /** Replaces a token's own limits; null returns it to its keyspace policy's. */
  setTokenLimits(id: string, limits: TokenLimits | null): Promise<Token>;
  verifyAudit(): Promise<AuditVerification>;
  exportAudit(): AsyncIterable<AuditEntry>;
  reportLeak(input: LeakReportInput): Promise<LeakOutcome>;
  createSecret(input: CreateSecretInput): Promise<StoredSecret>;
  listSecrets(query: SecretListInput): Promise<Page<Secret>>;
  getSecret(environment: string, name: string): Promise<SecretDetails>;
  updateSecret(environment: string, name: string, input: UpdateSecretInput): Promise<StoredSecret>;
  removeSecret(environment: string, name: string): Promise<Secret>;
  revealSecret(environment: string, name: string, options: RevealOptions): Promise<RevealedSecret>;
  revealEnvironment(environment: string, names: string[]): Promise<RevealedSecret[]>;
  importSecrets(input: ImportSecretsInput): Promise<ImportResult>;
  setRotator(environment: string, name: string, input: RotatorInput): Promise<RotatorView>;
  rotateSecret(environment: string, name: string): Promise<RotationView>;
  listSecretRotations(environment: string, name: string, query: RotationHistoryQuery): Promise<RotationHistory>;
  getSecretRetirement(environment: string, name: string): Promise<SecretRetirementReport>;
  extendSecretGrace(environment: string, name: string, extendBySeconds: number): Promise<SecretRetirementReport>;
  runCheck(policy: CheckPolicy): Promise<CheckReport>;
  runReview(members: string[] | undefined): Promise<ReviewReport>;
  listPolicies(): Promise<Page<Policy>>;
  getPolicy(name: string): Promise<Policy>;
  applyPolicies(policies: unknown[]): Promise<Page<Policy>>;
  deletePolicy(name: string): Promise<void>;
  getEffectivePolicy(keyspace: string): Promise<EffectivePolicy>;
  createWebhook(input: WebhookInput): Promise<CreatedWebhook>;
  listWebhooks(): Promise<Page<Webhook>>;
  updateWebhook(id: string, input: WebhookInput): Promise<Webhook>;
  deleteWebhook(id: string): Promise<void>;
  listWebhookDeliveries(id: string, query: { status?: string; limit?: number }): Promise<Page<WebhookDelivery>>;
  replayDelivery(id: string, deliveryId: string): Promise<WebhookDelivery>;
  listAlerts(query: AlertListInput): Promise<Page<Alert>>;
  acknowledgeAlert(id: string): Promise<Alert>;
  getRetirementReport(id: string): Promise<RetirementReport>;
  extendGracePeriod(id: string, extendBySeconds: number): Promise<RetirementReport>;
  close(): Promise<void>;
}

/** Runs a command with an open client; a returned number other than 0 becomes the exit code. */
export type WithClient = (run: (client: TesseraClient, options: GlobalOptions) => Promise<number | void>) => Promise<void>;

/** Ends a command with a non-zero exit code (1 for findings) without printing an error. */
export class ExitSignal extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}
