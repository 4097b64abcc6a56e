import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../services/context.js';
import { getTokenUsage, usageSteps, type UsageQueryInput } from '../../services/usage.js';
import { actorOf, requireAdminToken } from '../auth.js';
import { errorSchema, idParamsSchema } from '../schemas.js';

const countsSchema = { type: 'object', additionalProperties: { type: 'integer' } } as const;

const tokenUsageSchema = {
  type: 'object',
  properties: {
    tokenId: { type: 'string' },
    step: { type: 'string', enum: [...usageSteps] },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    lastUsedAt: { type: ['string', 'null'], format: 'date-time' },
    lastUsedIp: { type: ['string', 'null'] },
    buckets: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          start: { type: 'string', format: 'date-time' },
          total: { type: 'integer' },
          codes: countsSchema,
          networks: countsSchema,
          scopes: countsSchema,
        },
      },
    },
  },
} as const;

export function usageRoutes(app: FastifyInstance, context: ServiceContext): void {
  app.get<{ Params: { id: string }; Querystring: UsageQueryInput }>(
    '/v1/usage/:id',
    {
      onRequest: requireAdminToken(context),
      schema: {
        tags: ['usage'],
        summary: 'A token’s verifications per minute, hour or day: by result code, source network and required scope (scope usage:read)',
        security: [{ bearerAuth: [] }],
        params: idParamsSchema,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'string', format: 'date-time', description: 'start of the range; defaults to one hour, day or 30 days before `to`' },
            to: { type: 'string', format: 'date-time', description: 'end of the range; defaults to now' },
            step: { type: 'string', enum: [...usageSteps], description: 'bucket size; defaults to hour' },
          },
        },
        response: { 200: tokenUsageSchema, '4xx': errorSchema },
      },
    },
    async (request) => getTokenUsage(context, actorOf(request), request.params.id, request.query),
  );
}
