import type { FastifyInstance } from 'fastify';
import { toCheckPolicy } from '../../core/check-policy.js';
import { runCheck } from '../../services/check.js';
import type { ServiceContext } from '../../services/context.js';
import { runReview } from '../../services/review.js';
import { actorOf, requireAdminToken } from '../auth.js';
import { errorSchema } from '../schemas.js';
import { checkQuerySchema, reportSchema, reviewQuerySchema } from '../secret-schemas.js';

interface CheckQuery {
  expiringWithinDays?: number;
  staleAfterDays?: number;
  maxLifetimeDays?: number;
  failOn?: string;
}

export function reportRoutes(app: FastifyInstance, context: ServiceContext): void {
  const onRequest = requireAdminToken(context);
  const security = [{ bearerAuth: [] }];

  app.get<{ Querystring: CheckQuery }>(
    '/v1/check',
    {
      onRequest,
      schema: {
        tags: ['reports'],
        summary: 'Evaluate every token and secret against a check policy given in the query (scope check:read)',
        security,
        querystring: checkQuerySchema,
        response: { 200: reportSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { failOn, ...thresholds } = request.query;
      const policy = toCheckPolicy({ ...thresholds, ...(failOn !== undefined && { failOn: failOn.split(',').filter(Boolean) }) }, 'query');
      return runCheck(context, actorOf(request), policy);
    },
  );

  app.get<{ Querystring: { members?: string } }>(
    '/v1/review',
    {
      onRequest,
      schema: {
        tags: ['reports'],
        summary: 'Access review: tokens and secrets per owner, orphaned owners flagged (scope review:read)',
        security,
        querystring: reviewQuerySchema,
        response: { 200: reportSchema, '4xx': errorSchema },
      },
    },
    async (request) => runReview(context, actorOf(request), { members: request.query.members?.split(',') }),
  );
}
