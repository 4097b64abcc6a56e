import type { FastifyInstance } from 'fastify';
import { tokenStates } from '../../core/token-state.js';
import type { ServiceContext } from '../../services/context.js';
import { summariseTokens } from '../../services/token-summary.js';
import { actorOf, requireAdminToken } from '../auth.js';
import { errorSchema } from '../schemas.js';

const countSchema = { type: 'integer', minimum: 0 } as const;

export const tokenSummarySchema = {
  type: 'object',
  required: ['generatedAt', 'total', 'states', 'expiryTimeline', 'ownerless', 'stale', 'staleAfterDays', 'expiringSoonest'],
  properties: {
    generatedAt: { type: 'string', format: 'date-time' },
    total: countSchema,
    states: { type: 'object', properties: Object.fromEntries(tokenStates.map((state) => [state, countSchema])) },
    expiryTimeline: {
      type: 'array',
      description: 'one entry per day for the next 90 days: active tokens whose expiry falls in that day (day 0 is the next 24 hours)',
      items: { type: 'object', properties: { daysFromNow: countSchema, count: countSchema } },
    },
    ownerless: { ...countSchema, description: 'active tokens without an owner' },
    stale: { ...countSchema, description: 'active tokens unused for staleAfterDays, or never used and older than that' },
    staleAfterDays: countSchema,
    expiringSoonest: { type: 'array', items: { $ref: 'Token#' }, description: 'the active tokens that expire first, at most 10' },
  },
} as const;

export function tokenSummaryRoutes(app: FastifyInstance, context: ServiceContext): void {
  app.get(
    '/v1/tokens/summary',
    {
      onRequest: requireAdminToken(context),
      schema: {
        tags: ['tokens'],
        summary: 'Count the visible tokens by state, expiry day, owner and use, for an overview (scope tokens:read)',
        security: [{ bearerAuth: [] }],
        response: { 200: tokenSummarySchema, '4xx': errorSchema },
      },
    },
    async (request) => summariseTokens(context, actorOf(request)),
  );
}
