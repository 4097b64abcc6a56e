import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../services/context.js';
import { createKeyspace, getKeyspace, listKeyspaces, type CreateKeyspaceInput } from '../../services/keyspaces.js';
import { actorOf, requireAdminToken } from '../auth.js';
import { createKeyspaceBodySchema, errorSchema, keyspaceNameSchema, pageOf, pageQuerySchema } from '../schemas.js';

export function keyspaceRoutes(app: FastifyInstance, context: ServiceContext): void {
  const onRequest = requireAdminToken(context);
  const security = [{ bearerAuth: [] }];

  app.post<{ Body: CreateKeyspaceInput }>(
    '/v1/keyspaces',
    {
      onRequest,
      schema: {
        tags: ['keyspaces'],
        summary: 'Create a keyspace (scope keyspaces:write)',
        security,
        body: createKeyspaceBodySchema,
        response: { 201: { $ref: 'Keyspace#' }, '4xx': errorSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await createKeyspace(context, actorOf(request), request.body)),
  );

  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    '/v1/keyspaces',
    {
      onRequest,
      schema: {
        tags: ['keyspaces'],
        summary: 'List keyspaces (scope keyspaces:read)',
        security,
        querystring: { type: 'object', additionalProperties: false, properties: pageQuerySchema },
        response: { 200: pageOf('Keyspace'), '4xx': errorSchema },
      },
    },
    async (request) => listKeyspaces(context, actorOf(request), request.query),
  );

  app.get<{ Params: { name: string } }>(
    '/v1/keyspaces/:name',
    {
      onRequest,
      schema: {
        tags: ['keyspaces'],
        summary: 'Get a keyspace by name (scope keyspaces:read)',
        security,
        params: { type: 'object', properties: { name: keyspaceNameSchema } },
        response: { 200: { $ref: 'Keyspace#' }, '4xx': errorSchema },
      },
    },
    async (request) => getKeyspace(context, actorOf(request), request.params.name),
  );
}
