import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../services/context.js';
import { importSecrets, type ImportSecretsInput } from '../../services/secret-import.js';
import { revealEnvironment, revealSecret, type RevealOptions } from '../../services/secret-reveal.js';
import {
  createSecret,
  getSecret,
  listSecrets,
  providerPattern,
  removeSecret,
  secretSortFields,
  updateSecret,
  type CreateSecretInput,
  type SecretListInput,
  type UpdateSecretInput,
} from '../../services/secrets.js';
import { actorOf, requireAdminToken } from '../auth.js';
import { errorSchema, noNulPattern, sortedPageQuerySchema } from '../schemas.js';
import {
  createSecretBodySchema,
  environmentSchema,
  importBodySchema,
  importResultSchema,
  revealBodySchema,
  revealEnvironmentBodySchema,
  revealedSecretSchema,
  secretDetailsSchema,
  secretParamsSchema,
  secretSchema,
  storedSecretSchema,
  updateSecretBodySchema,
} from '../secret-schemas.js';

interface SecretParams {
  environment: string;
  name: string;
}

export function secretRoutes(app: FastifyInstance, context: ServiceContext): void {
  const onRequest = requireAdminToken(context);
  const security = [{ bearerAuth: [] }];
  const tags = ['secrets'];
  const preValidation = async (request: { body: unknown }) => {
    request.body ??= {};
  };

  app.post<{ Body: CreateSecretInput }>(
    '/v1/secrets',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Store a secret, encrypted (scope secrets:write)',
        security,
        body: createSecretBodySchema,
        response: { 201: storedSecretSchema, '4xx': errorSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await createSecret(context, actorOf(request), request.body)),
  );

  app.get<{ Querystring: SecretListInput }>(
    '/v1/secrets',
    {
      onRequest,
      schema: {
        tags,
        summary: 'List secrets without their values, oldest first unless sort or order is given (scope secrets:read)',
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            environment: environmentSchema,
            owner: { type: 'string', maxLength: 200, pattern: noNulPattern },
            provider: { type: 'string', maxLength: 63, pattern: providerPattern.source, description: 'only secrets of this provider, matched exactly' },
            q: {
              type: 'string',
              maxLength: 200,
              pattern: noNulPattern,
              description: 'text found, ignoring case, in the name, owner, provider, description or a tag',
            },
            ...sortedPageQuerySchema(secretSortFields),
          },
        },
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: secretSchema }, nextCursor: { type: ['string', 'null'] } } },
          '4xx': errorSchema,
        },
      },
    },
    async (request) => listSecrets(context, actorOf(request), request.query),
  );

  app.post<{ Body: ImportSecretsInput }>(
    '/v1/secrets/import',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Import secrets into one environment in one transaction (scope secrets:write)',
        security,
        body: importBodySchema,
        response: { 200: importResultSchema, '4xx': errorSchema },
      },
    },
    async (request) => importSecrets(context, actorOf(request), request.body),
  );

  app.post<{ Body: { environment: string; names?: string[] } }>(
    '/v1/secrets/reveal',
    {
      onRequest,
      schema: {
        tags,
        summary: "Reveal an environment's current values, audited and rate-limited (scope secrets:reveal)",
        security,
        body: revealEnvironmentBodySchema,
        response: { 200: { type: 'object', properties: { secrets: { type: 'array', items: revealedSecretSchema } } }, '4xx': errorSchema },
      },
    },
    async (request) => ({ secrets: await revealEnvironment(context, actorOf(request), request.body.environment, request.body.names) }),
  );

  app.get<{ Params: SecretParams }>(
    '/v1/secrets/:environment/:name',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Get a secret and its versions, without values (scope secrets:read)',
        security,
        params: secretParamsSchema,
        response: { 200: secretDetailsSchema, '4xx': errorSchema },
      },
    },
    async (request) => getSecret(context, actorOf(request), request.params.environment, request.params.name),
  );

  app.patch<{ Params: SecretParams; Body: UpdateSecretInput }>(
    '/v1/secrets/:environment/:name',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Update a secret; a new value becomes its next version (scope secrets:write)',
        security,
        params: secretParamsSchema,
        body: updateSecretBodySchema,
        response: { 200: storedSecretSchema, '4xx': errorSchema },
      },
    },
    async (request) => updateSecret(context, actorOf(request), request.params.environment, request.params.name, request.body),
  );

  app.delete<{ Params: SecretParams }>(
    '/v1/secrets/:environment/:name',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Remove a secret and all its values (scope secrets:write)',
        security,
        params: secretParamsSchema,
        response: { 200: secretSchema, '4xx': errorSchema },
      },
    },
    async (request) => removeSecret(context, actorOf(request), request.params.environment, request.params.name),
  );

  app.post<{ Params: SecretParams; Body: RevealOptions }>(
    '/v1/secrets/:environment/:name/reveal',
    {
      onRequest,
      preValidation,
      schema: {
        tags,
        summary: 'Reveal a value, audited and rate-limited (scope secrets:reveal)',
        security,
        params: secretParamsSchema,
        body: revealBodySchema,
        response: { 200: revealedSecretSchema, '4xx': errorSchema },
      },
    },
    async (request) => revealSecret(context, actorOf(request), request.params.environment, request.params.name, request.body),
  );
}
