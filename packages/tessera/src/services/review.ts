import type { Actor } from './actor.js';
import { requirePermission, requireUnlimited } from './authorization.js';
import type { ServiceContext } from './context.js';
import { allSecrets, tokensInService } from './inventory.js';
import { isoOrNull } from './views.js';

/** One token or secret in an access review. Times are ISO 8601. */
export interface ReviewItem {
  type: 'token' | 'secret';
  id: string;
  name: string;
  /** The keyspace of a token or the environment of a secret. */
  group: string;
  scopes: string[];
  lastUsedAt: string | null;
  expiresAt: string | null;
  /** The reason it exists, from its description. */
  description: string | null;
}

export interface OwnerReview {
  /** null groups the items that have no owner. */
  owner: string | null;
  /** True when the owner is missing, or not in the given list of current team members. */
  orphaned: boolean;
  items: ReviewItem[];
}

export interface ReviewReport {
  generatedAt: string;
  /** The current team members the owners were compared with; null when none were given. */
  members: string[] | null;
  summary: { owners: number; items: number; orphanedItems: number };
  owners: OwnerReview[];
}

/** Collects every token in service and every secret by owner, and flags owners who are not current members. */
export async function runReview(context: ServiceContext, actor: Actor, options: { members?: readonly string[] | undefined } = {}): Promise<ReviewReport> {
  await requirePermission(context, actor, { scope: 'review:read', action: 'review.run' });
  await requireUnlimited(context, actor, 'review.run');

  const now = context.clock.now();
  const byOwner = new Map<string | null, ReviewItem[]>();
  const add = (owner: string | null, item: ReviewItem): void => {
    const items = byOwner.get(owner);
    if (items) items.push(item);
    else byOwner.set(owner, [item]);
  };

  for await (const row of tokensInService(context.db, now)) {
    add(row.owner, {
      type: 'token',
      id: row.id,
      name: row.name,
      group: row.keyspace_name,
      scopes: JSON.parse(row.scopes) as string[],
      lastUsedAt: isoOrNull(row.last_used_at),
      expiresAt: isoOrNull(row.expires_at),
      description: row.description,
    });
  }
  for await (const row of allSecrets(context.db)) {
    add(row.owner, {
      type: 'secret',
      id: row.id,
      name: row.name,
      group: row.environment,
      scopes: [],
      lastUsedAt: isoOrNull(row.last_read_at),
      expiresAt: isoOrNull(row.expires_at),
      description: row.description,
    });
  }

  const members = options.members ? new Set(options.members.map((member) => member.trim()).filter(Boolean)) : null;
  const owners: OwnerReview[] = [...byOwner.entries()]
    .map(([owner, items]) => ({ owner, orphaned: owner === null || (members !== null && !members.has(owner)), items }))
    .sort((left, right) => (left.owner ?? '\uffff').localeCompare(right.owner ?? '\uffff'));
  const items = owners.reduce((total, owner) => total + owner.items.length, 0);
  const orphanedItems = owners.filter((owner) => owner.orphaned).reduce((total, owner) => total + owner.items.length, 0);

  return {
    generatedAt: new Date(now).toISOString(),
    members: members ? [...members] : null,
    summary: { owners: owners.length, items, orphanedItems },
    owners,
  };
}
