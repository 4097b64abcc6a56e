import { localOperator } from '../services/actor.js';
import { everyKeyspace } from '../services/authorization.js';
import { exportAuditEntries, verifyAuditChain } from '../services/audit-log.js';
import { createKeyspace, listKeyspaces } from '../services/keyspaces.js';
import type { Tessera } from '../services/tessera.js';
import { rotateToken } from '../services/rotation.js';
import { changeTokenState, getToken, issueToken, listTokens, updateTokenDetails } from '../services/tokens.js';
import { getTokenUsage } from '../services/usage.js';
import { verifyToken } from '../services/verifier.js';
import type { TesseraClient } from './client.js';

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
    close: () => tessera.close(),
  };
}
