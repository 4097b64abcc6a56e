import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../services/context.js';
import { extendGracePeriod, getRetirementReport } from '../../services/retirement.js';
import { actorOf, requireAdminToken } from '../auth.js';
import { errorSchema, idParamsSchema } from '../schemas.js';

const retirementSchema = {
  type: 'object',
  properties: {
    tokenId: { type: 'string' },
    successorId: { type: 'string' },
    state: { type: 'string' },
    rotatedAt: { type: 'string', format: 'date-time' },
    graceEndsAt: { type: ['string', 'null'], format: 'date-time' },
    stillInUse: { type: 'boolean', description: 'presented or attempted after the rotation' },
    lastPresentedAt: { type: ['string', 'null'], format: 'date-time' },
    lastPresentedFrom: { type: ['string', 'null'], description: 'the address of the last presentation' },
    attemptsSinceRotation: {
      type: ['integer', 'null'],
      description: 'verification attempts since the rotation with every result code, from the minute of the rotation on',
    },
    networksSinceRotation: {
      type: 'array',
      description: 'source networks of those attempts, most attempts first',
      items: { type: 'object', properties: { network: { type: 'string' }, attempts: { type: 'integer' } } },
    },
    canExtendGrace: { type: 'boolean' },
  },
} as const;

export function retirementRoutes(app: FastifyInstance, context: ServiceContext): void {
  const onRequest = requireAdminToken(context);
  const security = [{ bearerAuth: [] }];
  const tags = ['tokens'];

  app.get<{ Params: { id: string } }>(
    '/v1/tokens/:id/retirement',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Whether a rotated token is still presented, when and from where (scope tokens:read)',
        security,
        params: idParamsSchema,
        response: { 200: retirementSchema, '4xx': errorSchema },
      },
    },
    async (request) => getRetirementReport(context, actorOf(request), request.params.id),
  );

  app.post<{ Params: { id: string }; Body: { extendBySeconds: number } }>(
    '/v1/tokens/:id/extend-grace',
    {
      onRequest,
      schema: {
        tags,
        summary: "Extend a rotated token's grace period while it is still presented (scope tokens:write)",
        security,
        params: idParamsSchema,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['extendBySeconds'],
          properties: { extendBySeconds: { type: 'integer', minimum: 60, maximum: 90 * 86400 } },
        },
        response: { 200: retirementSchema, '4xx': errorSchema },
      },
    },
    async (request) => extendGracePeriod(context, actorOf(request), request.params.id, request.body),
  );
}
