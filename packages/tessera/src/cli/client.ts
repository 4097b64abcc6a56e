import type { GlobalOptions } from './settings.js';
import type { EffectivePolicy } from '../core/policy-rules.js';
import type { Alert, AlertListInput } from '../services/alerts.js';
import type { Policy } from '../services/policies.js';
import type { RetirementReport } from '../services/retirement.js';
import type { CreatedWebhook, Webhook, WebhookDelivery, WebhookInput } from '../services/webhooks.js';
import type { AuditVerification } from '../services/audit-log.js';
import type { CreateKeyspaceInput } from '../services/keyspaces.js';
import type { RotatedToken, RotateTokenInput } from '../services/rotation.js';
import type { IssuedToken, IssueTokenInput, TokenListInput } from '../services/tokens.js';
import type { VerifyRequest, VerifyResult } from '../services/verifier.js';
import type { AuditEntry, Keyspace, Page, Token } from '../services/views.js';

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
  verifyAudit(): Promise<AuditVerification>;
  exportAudit(): AsyncIterable<AuditEntry>;
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
