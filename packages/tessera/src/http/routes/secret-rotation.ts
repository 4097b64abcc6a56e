import type { FastifyInstance } from 'fastify';
import type { RotatorInput } from '../../core/rotator-config.js';
import type { ServiceContext } from '../../services/context.js';
import { rotateSecret, setRotator } from '../../services/secret-rotation.js';
import { actorOf, requireAdminToken } from '../auth.js';
import { errorSchema } from '../schemas.js';
import { secretParamsSchema } from '../secret-schemas.js';

interface SecretParams {
  environment: string;
  name: string;
}

const argvSchema = { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 4096 } } as const;

const rotatorBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: {
    kind: { type: 'string', enum: ['exec', 'http'] },
    command: argvSchema,
    testCommand: argvSchema,
    url: { type: 'string', maxLength: 2048 },
    timeoutSeconds: { type: 'integer' },
    gracePeriodSeconds: { type: 'integer' },
  },
} as const;

const rotatorSchema = {
  type: 'object',
  properties: {
    config: {
      type: 'object',
      properties: { kind: { type: 'string' }, command: argvSchema, testCommand: argvSchema, url: { type: 'string' }, timeoutSeconds: { type: 'integer' } },
    },
    gracePeriodSeconds: { type: 'integer' },
  },
} as const;

const rotationSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    state: { type: 'string', enum: ['pending', 'applied', 'tested', 'current', 'failed'] },
    fromVersion: { type: 'integer' },
    toVersion: { type: ['integer', 'null'] },
    error: { type: ['string', 'null'] },
    startedAt: { type: 'string' },
    graceEndsAt: { type: ['string', 'null'] },
  },
} as const;

export function secretRotationRoutes(app: FastifyInstance, context: ServiceContext): void {
  const onRequest = requireAdminToken(context);
  const security = [{ bearerAuth: [] }];
  const tags = ['secrets'];

  app.put<{ Params: SecretParams; Body: RotatorInput }>(
    '/v1/secrets/:environment/:name/rotator',
    {
      onRequest,
      schema: {
        tags,
        summary: "Set a secret's rotator: an exec program or an http URL that returns the new value (scope admin)",
        security,
        params: secretParamsSchema,
        body: rotatorBodySchema,
        response: { 200: rotatorSchema, '4xx': errorSchema },
      },
    },
    async (request) => setRotator(context, actorOf(request), request.params.environment, request.params.name, request.body),
  );

  app.post<{ Params: SecretParams }>(
    '/v1/secrets/:environment/:name/rotate',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Rotate a secret through pending, applied, tested and current; a failed rotation returns state failed (scope secrets:write)',
        security,
        params: secretParamsSchema,
        response: { 200: rotationSchema, '4xx': errorSchema },
      },
    },
    async (request) => rotateSecret(context, actorOf(request), request.params.environment, request.params.name),
  );
}
