import { tokenStates, type TokenState } from '../core/token-state.js';
import { readTokenSummary } from '../store/token-summary-repository.js';
import type { Actor } from './actor.js';
import { requirePermission } from './authorization.js';
import type { ServiceContext } from './context.js';
import { visibleKeyspaceFilter } from './tokens.js';
import { toToken, type Token } from './views.js';

/** Days covered by the expiry timeline. */
export const timelineDays = 90;
/** An active token unused for this long is stale; the default policy's stale-after period. */
export const staleAfterDays = 90;
const soonestLimit = 10;
const dayMs = 86_400_000;

export interface TokenSummary {
  generatedAt: string;
  total: number;
  /** Tokens by the state a reader sees now. */
  states: Record<TokenState, number>;
  /** One entry per day from now: active tokens whose expiry falls in that day. */
  expiryTimeline: { daysFromNow: number; count: number }[];
  /** Active tokens without an owner. */
  ownerless: number;
  /** Active tokens unused for `staleAfterDays` (or never used and older than that). */
  stale: number;
  staleAfterDays: number;
  /** The active tokens that expire first. */
  expiringSoonest: Token[];
}

/** Counts the tokens the actor may see, by state, expiry day, owner and use, for the dashboard overview. */
export async function summariseTokens(context: ServiceContext, actor: Actor): Promise<TokenSummary> {
  await requirePermission(context, actor, { scope: 'tokens:read', action: 'token.summary' });
  const filter = await visibleKeyspaceFilter(context, actor);

  const now = context.clock.now();
  const rows = await readTokenSummary(context.db, { ...filter, now, timelineDays, staleAfterMs: staleAfterDays * dayMs, soonestLimit });

  const states = Object.fromEntries(tokenStates.map((state) => [state, 0])) as Record<TokenState, number>;
  for (const { state, count } of rows.stateCounts) {
    if ((tokenStates as readonly string[]).includes(state)) states[state as TokenState] += count;
  }
  // A stored active token past its expiry reads as expired, as it does in lists.
  states.active -= rows.expiredActive;
  states.expired += rows.expiredActive;

  const perDay = new Map(rows.expiryDays.map(({ day, count }) => [day, count]));
  const expiryTimeline = Array.from({ length: timelineDays }, (_, daysFromNow) => ({ daysFromNow, count: perDay.get(daysFromNow) ?? 0 }));

  return {
    generatedAt: new Date(now).toISOString(),
    total: Object.values(states).reduce((sum, count) => sum + count, 0),
    states,
    expiryTimeline,
    ownerless: rows.ownerless,
    stale: rows.stale,
    staleAfterDays,
    expiringSoonest: rows.soonest.map((row) => toToken(row, now)),
  };
}
