import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../services/context.js';
import { extendSecretGrace, getSecretRetirement } from '../../services/secret-retirement.js';
import { actorOf, requireAdminToken } from '../auth.js';
import { errorSchema } from '../schemas.js';
import { secretParamsSchema } from '../secret-schemas.js';

interface SecretParams {
  environment: string;
  name: string;
}

const readerSchema = {
  type: 'object',
  properties: {
    actorId: { type: ['string', 'null'] },
    actorHint: { type: ['string', 'null'] },
    address: { type: ['string', 'null'], description: 'the client address of reads over HTTP' },
    host: { type: ['string', 'null'], description: 'the host of reads by the CLI on the data directory' },
    reads: { type: 'integer' },
    lastReadAt: { type: 'string', format: 'date-time' },
  },
} as const;

const secretRetirementSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    environment: { type: 'string' },
    rotationId: { type: 'string' },
    rotatedAt: { type: 'string', format: 'date-time' },
    previousVersion: { type: 'integer' },
    currentVersion: { type: 'integer' },
    graceEndsAt: { type: ['string', 'null'], format: 'date-time' },
    previousVersionReads: {
      type: 'object',
      description: 'reads of the previous version since the rotation',
      properties: {
        count: { type: 'integer' },
        lastReadAt: { type: ['string', 'null'], format: 'date-time' },
        readers: { type: 'array', items: readerSchema },
      },
    },
    notSwitched: { type: 'array', items: readerSchema, description: 'readers of the 30 days before the rotation who have not read the secret since' },
    stillInUse: { type: 'boolean', description: 'true when either list is non-empty' },
    canExtendGrace: { type: 'boolean' },
  },
} as const;

export function secretRetirementRoutes(app: FastifyInstance, context: ServiceContext): void {
  const onRequest = requireAdminToken(context);
  const security = [{ bearerAuth: [] }];
  const tags = ['secrets'];

  app.get<{ Params: SecretParams }>(
    '/v1/secrets/:environment/:name/retirement',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Whether the value the latest rotation replaced is still read, by whom and from where (scope secrets:read)',
        security,
        params: secretParamsSchema,
        response: { 200: secretRetirementSchema, '4xx': errorSchema },
      },
    },
    async (request) => getSecretRetirement(context, actorOf(request), request.params.environment, request.params.name),
  );

  app.post<{ Params: SecretParams; Body: { extendBySeconds: number } }>(
    '/v1/secrets/:environment/:name/retirement/extend-grace',
    {
      onRequest,
      schema: {
        tags,
        summary: "Extend the previous value's grace period while it is still read (scope secrets:write)",
        security,
        params: secretParamsSchema,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['extendBySeconds'],
          properties: { extendBySeconds: { type: 'integer', minimum: 60, maximum: 90 * 86400 } },
        },
        response: { 200: secretRetirementSchema, '4xx': errorSchema },
      },
    },
    async (request) => extendSecretGrace(context, actorOf(request), request.params.environment, request.params.name, request.body),
  );
}
