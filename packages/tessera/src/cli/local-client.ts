import { localOperator } from '../services/actor.js';
import { everyKeyspace } from '../services/authorization.js';
import { exportAuditEntries, verifyAuditChain } from '../services/audit-log.js';
import { createKeyspace, listKeyspaces } from '../services/keyspaces.js';
import { reportLeak } from '../services/leaks.js';
import type { Tessera } from '../services/tessera.js';
import { rotateToken } from '../services/rotation.js';
import { changeTokenState, getToken, issueToken, listTokens, updateTokenDetails } from '../services/tokens.js';
import { getTokenUsage } from '../services/usage.js';
import { verifyToken } from '../services/verifier.js';
import { acknowledgeAlert, listAlerts } from '../services/alerts.js';
import { applyPolicies, deletePolicy, getEffectivePolicy, getPolicy, listPolicies } from '../services/policies.js';
import { extendGracePeriod, getRetirementReport } from '../services/retirement.js';
import { createWebhook, deleteWebhook, listWebhookDeliveries, listWebhooks, replayDelivery, updateWebhook } from '../services/webhooks.js';
import type { TesseraClient } from './client.js';
import { runCheck } from '../services/check.js';
import { showCheckProgress } from './check-output.js';
import { runReview } from '../services/review.js';
import { importSecrets } from '../services/secret-import.js';
import { revealEnvironment, revealSecret } from '../services/secret-reveal.js';
import { rotateSecret, setRotator } from '../services/secret-rotation.js';
import { listSecretRotations } from '../services/secret-rotation-history.js';
import { extendSecretGrace, getSecretRetirement } from '../services/secret-retirement.js';
import { createSecret, getSecret, listSecrets, removeSecret, updateSecret } from '../services/secrets.js';

/**
 * Runs commands on the data directory directly, as the operator who has its key file. A server on
 * the same SQLite file notices changes made here within about a second; PostgreSQL nodes, once
 * their cache entries expire (10 seconds).
 */
export function createLocalClient(tessera: Tessera): TesseraClient {
  const context = tessera.context;
  const operator = localOperator();
  return {
    createKeyspace: (input) => createKeyspace(context, operator, input),
    listKeyspaces: (query) => listKeyspaces(context, operator, query),
    issueToken: (input) => issueToken(context, operator, input),
    listTokens: (query) => listTokens(context, operator, query),
    getToken: (id) => getToken(context, operator, id),
    rotateToken: (id, input) => rotateToken(context, operator, id, input),
    changeTokenState: (id, change, reason) => changeTokenState(context, operator, id, change, reason),
    verifyToken: (request) => verifyToken(context, request, everyKeyspace),
    getUsage: (id, query) => getTokenUsage(context, operator, id, query),
    setTokenLimits: (id, limits) => updateTokenDetails(context, operator, id, { limits }),
    verifyAudit: () => verifyAuditChain(context, operator),
    exportAudit: () => exportAuditEntries(context, operator),
    reportLeak: (input) => reportLeak(context, operator, input),
    createSecret: (input) => createSecret(context, operator, input),
    listSecrets: (query) => listSecrets(context, operator, query),
    getSecret: (environment, name) => getSecret(context, operator, environment, name),
    updateSecret: (environment, name, input) => updateSecret(context, operator, environment, name, input),
    removeSecret: (environment, name) => removeSecret(context, operator, environment, name),
    revealSecret: (environment, name, options) => revealSecret(context, operator, environment, name, options),
    revealEnvironment: (environment, names) => revealEnvironment(context, operator, environment, names),
    importSecrets: (input) => importSecrets(context, operator, input),
    setRotator: (environment, name, input) => setRotator(context, operator, environment, name, input),
    rotateSecret: (environment, name) => rotateSecret(context, operator, environment, name),
    listSecretRotations: (environment, name, query) => listSecretRotations(context, operator, environment, name, query),
    getSecretRetirement: (environment, name) => getSecretRetirement(context, operator, environment, name),
    extendSecretGrace: (environment, name, extendBySeconds) => extendSecretGrace(context, operator, environment, name, { extendBySeconds }),
    runCheck: (policy) => runCheck(context, operator, policy, { onProgress: showCheckProgress }),
    runReview: (members) => runReview(context, operator, { members }),
    listPolicies: () => listPolicies(context, operator),
    getPolicy: (name) => getPolicy(context, operator, name),
    applyPolicies: async (policies) => ({ items: await applyPolicies(context, operator, policies), nextCursor: null }),
    deletePolicy: (name) => deletePolicy(context, operator, name),
    getEffectivePolicy: (keyspace) => getEffectivePolicy(context, operator, keyspace),
    createWebhook: (input) => createWebhook(context, operator, input),
    listWebhooks: () => listWebhooks(context, operator),
    updateWebhook: (id, input) => updateWebhook(context, operator, id, input),
    deleteWebhook: (id) => deleteWebhook(context, operator, id),
    listWebhookDeliveries: (id, query) => listWebhookDeliveries(context, operator, id, query),
    replayDelivery: (id, deliveryId) => replayDelivery(context, operator, id, deliveryId),
    listAlerts: (query) => listAlerts(context, operator, query),
    acknowledgeAlert: (id) => acknowledgeAlert(context, operator, id),
    getRetirementReport: (id) => getRetirementReport(context, operator, id),
    extendGracePeriod: (id, extendBySeconds) => extendGracePeriod(context, operator, id, { extendBySeconds }),
    close: () => tessera.close(),
  };
}
