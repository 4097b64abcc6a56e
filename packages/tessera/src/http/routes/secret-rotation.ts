import type { FastifyInstance } from 'fastify';
import type { RotatorInput } from '../../core/rotator-config.js';
import type { ServiceContext } from '../../services/context.js';
import { rotateSecret, setRotator } from '../../services/secret-rotation.js';
import { listSecretRotations, type RotationHistoryQuery } from '../../services/secret-rotation-history.js';
import { actorOf, requireAdminToken } from '../auth.js';
import { errorSchema, pageQuerySchema } from '../schemas.js';
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
    startedAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time', description: 'when the rotation last moved a step; for a finished one, when it finished' },
    graceEndsAt: { type: ['string', 'null'], format: 'date-time', description: 'until then the previous version stays readable' },
    startedBy: { type: ['string', 'null'], description: 'the actor that started it' },
  },
} as const;

const rotationHistorySchema = {
  type: 'object',
  properties: {
    status: {
      type: 'object',
      properties: {
        rotatorKind: { type: ['string', 'null'], description: 'exec or http; null when no rotator is set' },
        policy: { type: ['string', 'null'], description: "the policy that sets a rotate-after age for the secret's group" },
        nextRotationDueAt: { type: ['string', 'null'], format: 'date-time', description: 'when the current value falls due by that policy' },
        lastOutcome: {
          type: ['object', 'null'],
          properties: {
            rotationId: { type: 'string' },
            state: { type: 'string' },
            finishedAt: { type: 'string', format: 'date-time' },
            error: { type: ['string', 'null'] },
          },
        },
      },
    },
    items: { type: 'array', items: rotationSchema },
    nextCursor: { type: ['string', 'null'] },
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

  app.get<{ Params: SecretParams; Querystring: RotationHistoryQuery }>(
    '/v1/secrets/:environment/:name/rotations',
    {
      onRequest,
      schema: {
        tags,
        summary: "List a secret's rotations, newest first, with its rotator, next due time and last outcome (scope secrets:read)",
        security,
        params: secretParamsSchema,
        querystring: { type: 'object', additionalProperties: false, properties: pageQuerySchema },
        response: { 200: rotationHistorySchema, '4xx': errorSchema },
      },
    },
    async (request) => listSecretRotations(context, actorOf(request), request.params.environment, request.params.name, request.query),
  );
}
