import { v7 as uuidv7 } from 'uuid';
import { TesseraError } from '../core/errors.js';
import { defaultPolicy, type KeyspacePolicy } from '../core/policy.js';
import { adminScopes } from '../core/scopes.js';
import { generateToken } from '../core/token-format.js';
import { findKeyspaceByName, insertKeyspace } from '../store/keyspace-repository.js';
import { insertToken, listTokens } from '../store/token-repository.js';
import type { Actor } from './actor.js';
import type { ServiceContext } from './context.js';
import { newTokenRow, type IssuedToken } from './tokens.js';
import { auditedChange, type AuditRecord } from './audit-trail.js';
import { eventAbout } from './events.js';
import { adminKeyspaceName, toToken } from './views.js';

export const adminPrefix = 'tessera_admin';

// Admin tokens may be issued without expiry, so the first one cannot lock a team out after 90 days,
// and may rotate themselves, so automation can renew its own credential.
const adminPolicy: KeyspacePolicy = { ...defaultPolicy, allowNoExpiry: true, allowSelfRotation: true };

/** Returns true once the admin keyspace contains a token. */
export async function isInitialised(context: ServiceContext): Promise<boolean> {
  const keyspace = await findKeyspaceByName(context.db, adminKeyspaceName);
  if (!keyspace) return false;
  const tokens = await listTokens(context.db, { keyspaceIds: [keyspace.id], now: context.clock.now(), limit: 1 });
  return tokens.length > 0;
}

/**
 * Creates the admin keyspace and the first admin token, with every scope and no expiry, in one
 * transaction. Its plaintext is returned once, for the operator to store; running this twice is
 * rejected. The transaction holds the audit head lock, so two nodes starting at once on an empty
 * PostgreSQL database cannot both create a first admin token.
 */
export async function initialise(context: ServiceContext, operator: Actor): Promise<IssuedToken> {
  return auditedChange(context, operator, async (transaction, now) => {
    let keyspace = await findKeyspaceByName(transaction, adminKeyspaceName);
    if (keyspace && (await listTokens(transaction, { keyspaceIds: [keyspace.id], now, limit: 1 })).length > 0) {
      throw new TesseraError(
        'ALREADY_INITIALISED',
        'Tessera is already initialised; use the admin token printed by the first init, or create another with `tessera token create --keyspace admin`',
      );
    }

    const audit: AuditRecord[] = [];
    if (!keyspace) {
      keyspace = {
        id: uuidv7(),
        name: adminKeyspaceName,
        prefix: adminPrefix,
        description: 'Admin tokens of this Tessera installation',
        scopes: JSON.stringify(adminScopes),
        policy: JSON.stringify(adminPolicy),
        created_at: now,
        created_by: operator.id,
      };
      await insertKeyspace(transaction, keyspace);
      audit.push({
        action: 'keyspace.create',
        target: { type: 'keyspace', id: keyspace.id },
        keyspace: adminKeyspaceName,
        outcome: 'success',
        details: { name: adminKeyspaceName, prefix: adminPrefix },
      });
    }

    const secret = generateToken(adminPrefix);
    const row = newTokenRow(context, keyspace, secret, now, {
      name: 'initial admin',
      owner: null,
      description: 'Created by tessera init; has every scope',
      scopes: JSON.stringify(['admin']),
      expires_at: null,
      metadata: '{}',
      created_by: operator.id,
      predecessor_id: null,
      admin_keyspaces: null,
      limits: null,
    });
    await insertToken(transaction, row);
    audit.push({
      action: 'token.create',
      target: { type: 'token', id: row.id },
      keyspace: adminKeyspaceName,
      outcome: 'success',
      details: { keyspace: adminKeyspaceName, name: row.name, hint: row.hint },
    });

    const events = audit.map((record) => eventAbout(record, record.action === 'token.create' ? 'token.created' : 'keyspace.created', record.details ?? {}));
    return { result: { secret, token: toToken({ ...row, keyspace_name: adminKeyspaceName }, now) }, audit, events };
  });
}
