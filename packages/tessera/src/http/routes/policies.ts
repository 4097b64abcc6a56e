import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../services/context.js';
import { applyPolicies, createPolicy, deletePolicy, getEffectivePolicy, getPolicy, listPolicies, replacePolicy } from '../../services/policies.js';
import { actorOf, requireAdminToken } from '../auth.js';
import { errorSchema, keyspaceNameSchema, noNulPattern, pageOf } from '../schemas.js';

const duration = { type: ['integer', 'string'], description: 'seconds, or a duration such as 90d, 24h, 30m' } as const;
const nullableDuration = { type: ['integer', 'string', 'null'], description: 'seconds, a duration such as 90d, or null to turn the check off' } as const;

// The services check every field again with messages that name it, because policy files reach them without this schema.
const policyRulesSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxLifetimeSeconds: duration,
    allowNoExpiry: { type: 'boolean' },
    gracePeriodSeconds: duration,
    allowSelfRotation: { type: 'boolean' },
    rotateAfterSeconds: nullableDuration,
    warnBeforeExpirySeconds: { type: 'array', items: duration, maxItems: 10, description: 'default 14d, 3d and 1d' },
    staleAfterSeconds: nullableDuration,
    requiredFields: { type: 'array', items: { type: 'string', enum: ['owner', 'description'] } },
    allowedScopes: { type: 'array', items: { type: 'string', maxLength: 65 }, maxItems: 64 },
    rotationOffsetSeconds: duration,
    rotationWindow: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['startHour', 'endHour'],
      properties: { startHour: { type: 'integer', minimum: 0, maximum: 23 }, endHour: { type: 'integer', minimum: 0, maximum: 23 } },
      description: 'hours (UTC) in which rotation notices are sent',
    },
  },
} as const;

const secretGroupsSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'secrets the policy is meant for; stored and validated, not matched against secrets yet',
  properties: {
    environments: { type: 'array', items: { type: 'string', maxLength: 63 }, maxItems: 32 },
    tags: { type: 'array', items: { type: 'string', maxLength: 63 }, maxItems: 32 },
  },
} as const;

const policyFields = {
  description: { type: ['string', 'null'], maxLength: 500, pattern: noNulPattern },
  default: { type: 'boolean', description: 'applies to every keyspace without an attached policy' },
  keyspaces: { type: 'array', items: keyspaceNameSchema, maxItems: 100 },
  secretGroups: secretGroupsSchema,
  rules: policyRulesSchema,
} as const;

const policyBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string', maxLength: 63 }, ...policyFields },
} as const;
const replaceBodySchema = { type: 'object', additionalProperties: false, properties: { name: { type: 'string', maxLength: 63 }, ...policyFields } } as const;

export const policySchema = {
  $id: 'Policy',
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: ['string', 'null'] },
    default: { type: 'boolean' },
    keyspaces: { type: 'array', items: { type: 'string' } },
    secretGroups: { type: 'object', additionalProperties: true },
    rules: { type: 'object', additionalProperties: true, description: 'only the rules this policy sets, durations in seconds' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    createdBy: { type: ['string', 'null'] },
  },
} as const;

const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 63, pattern: noNulPattern } } } as const;
const policyPage = pageOf('Policy');

export function policyRoutes(app: FastifyInstance, context: ServiceContext): void {
  const onRequest = requireAdminToken(context);
  const security = [{ bearerAuth: [] }];
  const tags = ['policies'];

  app.post<{ Body: Record<string, unknown> }>(
    '/v1/policies',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Create a named policy (scope policies:write)',
        security,
        body: policyBodySchema,
        response: { 201: { $ref: 'Policy#' }, '4xx': errorSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await createPolicy(context, actorOf(request), request.body)),
  );

  app.post<{ Body: { policies: unknown[] } }>(
    '/v1/policies/apply',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Create or replace several policies at once, as from a policy file; all apply or none (scope policies:write)',
        security,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['policies'],
          properties: { policies: { type: 'array', items: policyBodySchema, maxItems: 200 } },
        },
        response: { 200: policyPage, '4xx': errorSchema },
      },
    },
    async (request) => ({ items: await applyPolicies(context, actorOf(request), request.body.policies), nextCursor: null }),
  );

  app.get(
    '/v1/policies',
    { onRequest, schema: { tags, summary: 'List named policies (scope policies:read)', security, response: { 200: policyPage, '4xx': errorSchema } } },
    async (request) => listPolicies(context, actorOf(request)),
  );

  app.get<{ Params: { name: string } }>(
    '/v1/policies/:name',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Get a named policy (scope policies:read)',
        security,
        params: nameParams,
        response: { 200: { $ref: 'Policy#' }, '4xx': errorSchema },
      },
    },
    async (request) => getPolicy(context, actorOf(request), request.params.name),
  );

  app.put<{ Params: { name: string }; Body: Record<string, unknown> }>(
    '/v1/policies/:name',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Create or replace a named policy as a whole (scope policies:write)',
        security,
        params: nameParams,
        body: replaceBodySchema,
        response: { 200: { $ref: 'Policy#' }, '4xx': errorSchema },
      },
    },
    async (request) => replacePolicy(context, actorOf(request), request.params.name, request.body),
  );

  app.delete<{ Params: { name: string } }>(
    '/v1/policies/:name',
    { onRequest, schema: { tags, summary: 'Delete a named policy (scope policies:write)', security, params: nameParams, response: { '4xx': errorSchema } } },
    async (request, reply) => {
      await deletePolicy(context, actorOf(request), request.params.name);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: { name: string } }>(
    '/v1/keyspaces/:name/policy',
    {
      onRequest,
      schema: {
        tags,
        summary:
          "The policy that applies to a keyspace's tokens: built-in defaults, the default policy, the inline policy and the attached policy merged (scope keyspaces:read)",
        security,
        params: { type: 'object', properties: { name: keyspaceNameSchema } },
        response: { 200: { type: 'object', additionalProperties: true }, '4xx': errorSchema },
      },
    },
    async (request) => getEffectivePolicy(context, actorOf(request), request.params.name),
  );
}
