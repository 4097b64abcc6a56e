import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../services/context.js';
import { actorOf, requireAdminToken } from '../auth.js';
import { errorSchema } from '../schemas.js';

export function callerRoutes(app: FastifyInstance, context: ServiceContext): void {
  app.get(
    '/v1/me',
    {
      onRequest: requireAdminToken(context),
      schema: {
        tags: ['auth'],
        summary: 'Describe the calling admin token: its id, hint, scopes and keyspace limits (any valid admin token)',
        security: [{ bearerAuth: [] }],
        response: {
          200: {
            type: 'object',
            required: ['id', 'hint', 'scopes', 'keyspaces'],
            properties: {
              id: { type: ['string', 'null'] },
              hint: { type: ['string', 'null'] },
              scopes: { type: 'array', items: { type: 'string' } },
              keyspaces: { type: ['array', 'null'], items: { type: 'string' }, description: 'the keyspaces the token is limited to, or null for all' },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      return { id: actor.id, hint: actor.hint, scopes: [...actor.scopes], keyspaces: actor.keyspaces === null ? null : [...actor.keyspaces] };
    },
  );
}
