import type { FastifyInstance } from 'fastify';
import type { TokenState } from '../../core/token-state.js';
import { tokenStates } from '../../core/token-state.js';
import type { ServiceContext } from '../../services/context.js';
import {
  changeTokenState,
  getToken,
  issueToken,
  listTokens,
  tokenSortFields,
  updateTokenDetails,
  type IssueTokenInput,
  type UpdateTokenInput,
} from '../../services/tokens.js';
import { rotateToken, selfRotateToken, type RotateTokenInput } from '../../services/rotation.js';
import { actorOf, holderOf, requireAdminToken, requireHolderToken } from '../auth.js';
import {
  createTokenBodySchema,
  errorSchema,
  idParamsSchema,
  issuedTokenSchema,
  keyspaceNameSchema,
  noNulPattern,
  pageOf,
  reasonBodySchema,
  rotateBodySchema,
  sortedPageQuerySchema,
  updateTokenBodySchema,
} from '../schemas.js';

interface TokenListQuery {
  keyspace?: string;
  owner?: string;
  state?: TokenState;
  q?: string;
  search?: string;
  expiringWithinDays?: number;
  sort?: string;
  order?: 'asc' | 'desc';
  limit?: number;
  cursor?: string;
}

export function tokenRoutes(app: FastifyInstance, context: ServiceContext): void {
  const onRequest = requireAdminToken(context);
  // Routes whose body is optional: a POST without one is read as an empty object.
  const preValidation = async (request: { body: unknown }) => {
    request.body ??= {};
  };
  const security = [{ bearerAuth: [] }];
  const tokenResponse = { 200: { $ref: 'Token#' }, '4xx': errorSchema };

  app.post<{ Body: IssueTokenInput }>(
    '/v1/tokens',
    {
      onRequest,
      schema: {
        tags: ['tokens'],
        summary: 'Issue a token; the response holds its secret once (scope tokens:write)',
        security,
        body: createTokenBodySchema,
        response: { 201: issuedTokenSchema, '4xx': errorSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await issueToken(context, actorOf(request), { ...request.body, scopes: request.body.scopes ?? [] })),
  );

  app.get<{ Querystring: TokenListQuery }>(
    '/v1/tokens',
    {
      onRequest,
      schema: {
        tags: ['tokens'],
        summary: 'List tokens, newest first unless sort or order is given (scope tokens:read)',
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            keyspace: keyspaceNameSchema,
            owner: { type: 'string', maxLength: 200, pattern: noNulPattern },
            state: { type: 'string', enum: [...tokenStates] },
            ...sortedPageQuerySchema(tokenSortFields),
            q: { type: 'string', maxLength: 200, pattern: noNulPattern, description: 'text found, ignoring case, in the name, owner, description, hint or id' },
            search: { type: 'string', maxLength: 200, pattern: noNulPattern, description: 'the older name of q' },
            expiringWithinDays: {
              type: 'integer',
              minimum: 0,
              maximum: 3650,
              description: 'only tokens whose expiry falls within this many days from now or has passed; combine with state=active for upcoming expiries',
            },
          },
        },
        response: { 200: pageOf('Token'), '4xx': errorSchema },
      },
    },
    async (request) => listTokens(context, actorOf(request), request.query),
  );

  // Registered before /v1/tokens/:id/... so that "self" is never read as an id.
  app.post<{ Body: RotateTokenInput | undefined }>(
    '/v1/tokens/self/rotate',
    {
      onRequest: requireHolderToken(context),
      preValidation,
      schema: {
        tags: ['tokens'],
        summary: 'Rotate the bearer token itself, when its keyspace policy allows self-rotation',
        security,
        body: rotateBodySchema,
        response: { 201: issuedTokenSchema, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const token = holderOf(request);
      const rotated = await selfRotateToken(context, { id: token.id, keyspace: token.keyspaceName, hash: token.hash }, actorOf(request), request.body ?? {});
      return reply.status(201).send(rotated);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/tokens/:id',
    { onRequest, schema: { tags: ['tokens'], summary: 'Get a token (scope tokens:read)', security, params: idParamsSchema, response: tokenResponse } },
    async (request) => getToken(context, actorOf(request), request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: UpdateTokenInput }>(
    '/v1/tokens/:id',
    {
      onRequest,
      schema: {
        tags: ['tokens'],
        summary: 'Update name, owner, description or metadata (scope tokens:write)',
        security,
        params: idParamsSchema,
        body: updateTokenBodySchema,
        response: tokenResponse,
      },
    },
    async (request) => updateTokenDetails(context, actorOf(request), request.params.id, request.body),
  );

  app.post<{ Params: { id: string }; Body: RotateTokenInput | undefined }>(
    '/v1/tokens/:id/rotate',
    {
      onRequest,
      preValidation,
      schema: {
        tags: ['tokens'],
        summary: 'Rotate a token: a successor is issued and the token verifies until the grace period ends (scope tokens:write)',
        security,
        params: idParamsSchema,
        body: rotateBodySchema,
        response: { 201: issuedTokenSchema, '4xx': errorSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await rotateToken(context, actorOf(request), request.params.id, request.body ?? {})),
  );

  const stateRoutes = [
    { change: 'revoke', reasonRequired: true, summary: 'Revoke a token for good; a reason is required (scope tokens:write)' },
    { change: 'disable', reasonRequired: false, summary: 'Disable a token until it is enabled again (scope tokens:write)' },
    { change: 'enable', reasonRequired: false, summary: 'Enable a disabled token (scope tokens:write)' },
  ] as const;
  for (const route of stateRoutes) {
    app.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>(
      `/v1/tokens/:id/${route.change}`,
      {
        onRequest,
        preValidation,
        schema: {
          tags: ['tokens'],
          summary: route.summary,
          security,
          params: idParamsSchema,
          body: reasonBodySchema(route.reasonRequired),
          response: tokenResponse,
        },
      },
      async (request) => changeTokenState(context, actorOf(request), request.params.id, route.change, request.body?.reason ?? null),
    );
  }
}
