import { v7 as uuidv7 } from 'uuid';
import { TesseraError } from '../core/errors.js';
import { defaultPolicy, type KeyspacePolicy } from '../core/policy.js';
import { adminScopes } from '../core/scopes.js';
import { findKeyspaceByName, insertKeyspace } from '../store/keyspace-repository.js';
import { listTokens } from '../store/token-repository.js';
import type { Actor } from './actor.js';
import type { ServiceContext } from './context.js';
import { issueToken, type IssuedToken } from './tokens.js';
import { auditedChange } from './audit-trail.js';
import { adminKeyspaceName } from './views.js';

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
 * Creates the admin keyspace and the first admin token, with every scope and no expiry. Its
 * plaintext is returned once, for the operator to store; running this twice is rejected.
 */
export async function initialise(context: ServiceContext, operator: Actor): Promise<IssuedToken> {
  if (await isInitialised(context)) {
    throw new TesseraError(
      'ALREADY_INITIALISED',
      'Tessera is already initialised; use the admin token printed by the first init, or create another with `tessera token create --keyspace admin`',
    );
  }

  if (!(await findKeyspaceByName(context.db, adminKeyspaceName))) {
    await auditedChange(context, operator, async (transaction, now) => {
      const id = uuidv7();
      await insertKeyspace(transaction, {
        id,
        name: adminKeyspaceName,
        prefix: adminPrefix,
        description: 'Admin tokens of this Tessera installation',
        scopes: JSON.stringify(adminScopes),
        policy: JSON.stringify(adminPolicy),
        created_at: now,
        created_by: operator.id,
      });
      return {
        result: undefined,
        audit: {
          action: 'keyspace.create',
          target: { type: 'keyspace', id },
          keyspace: adminKeyspaceName,
          outcome: 'success',
          details: { name: adminKeyspaceName, prefix: adminPrefix },
        },
      };
    });
  }

  return issueToken(context, operator, {
    keyspace: adminKeyspaceName,
    name: 'initial admin',
    description: 'Created by tessera init; has every scope',
    scopes: ['admin'],
    neverExpires: true,
  });
}
