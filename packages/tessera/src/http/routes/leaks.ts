import type { FastifyInstance } from 'fastify';
import { tokenStates } from '../../core/token-state.js';
import { leakResponses, leakSources, type LeakReportInput } from '../../services/leak-report.js';
import type { ServiceContext } from '../../services/context.js';
import { reportLeak } from '../../services/leaks.js';
import { actorOf, requireAdminToken } from '../auth.js';
import { errorSchema, noNulPattern } from '../schemas.js';

const leakReportSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['token', 'where'],
  properties: {
    token: { type: 'string', minLength: 1, maxLength: 128, description: 'the leaked token; only its keyed hash is used, and it is never stored' },
    where: {
      type: 'object',
      additionalProperties: false,
      required: ['source', 'path'],
      properties: {
        source: { type: 'string', enum: [...leakSources] },
        path: { type: 'string', minLength: 1, maxLength: 1024, pattern: noNulPattern, description: 'file, URL or log where the token was seen' },
        line: { type: 'integer', minimum: 1 },
        commit: { type: 'string', pattern: '^[0-9a-f]{7,64}$' },
      },
    },
    response: { type: 'string', enum: [...leakResponses], default: 'alert', description: 'revoke and rotate also need tokens:write' },
  },
} as const;

const leakOutcomeSchema = {
  type: 'object',
  properties: {
    found: { type: 'boolean' },
    live: { type: 'boolean' },
    tokenId: { type: ['string', 'null'] },
    keyspace: { type: ['string', 'null'] },
    owner: { type: ['string', 'null'] },
    state: { type: ['string', 'null'], enum: [...tokenStates, null] },
    hint: { type: 'string' },
    response: { type: 'string', enum: [...leakResponses] },
    action: { type: 'string', enum: ['none', 'recorded', 'revoked', 'rotated', 'inactive'] },
    successor: {
      type: 'object',
      properties: { id: { type: 'string' }, hint: { type: 'string' }, secret: { type: 'string', description: 'the successor token, shown once' } },
    },
  },
} as const;

export function leakRoutes(app: FastifyInstance, context: ServiceContext): void {
  app.post<{ Body: LeakReportInput }>(
    '/v1/leaks',
    {
      onRequest: requireAdminToken(context),
      schema: {
        tags: ['leaks'],
        summary: 'Report a leaked token (scope leaks:report), e.g. from a secret-scanning partner; applies the response and records a leaked event',
        security: [{ bearerAuth: [] }],
        body: leakReportSchema,
        response: { 200: leakOutcomeSchema, '4xx': errorSchema },
      },
    },
    async (request) => reportLeak(context, actorOf(request), { ...request.body, response: request.body.response ?? 'alert' }),
  );
}
