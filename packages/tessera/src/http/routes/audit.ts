import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../services/context.js';
import { Readable } from 'node:stream';
import { exportAuditEntries, listAuditEntries, verifyAuditChain, type AuditListInput } from '../../services/audit-log.js';
import type { AuditEntry } from '../../services/views.js';
import { actorOf, requireAdminToken } from '../auth.js';
import { errorSchema, noNulPattern, pageOf, pageQuerySchema } from '../schemas.js';

export function auditRoutes(app: FastifyInstance, context: ServiceContext): void {
  const onRequest = requireAdminToken(context);
  const security = [{ bearerAuth: [] }];

  app.get<{ Querystring: AuditListInput }>(
    '/v1/audit',
    {
      onRequest,
      schema: {
        tags: ['audit'],
        summary: 'List audit entries, newest first unless order=asc (scope audit:read)',
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...pageQuerySchema,
            action: { type: 'string', maxLength: 100, pattern: noNulPattern },
            targetId: { type: 'string', maxLength: 100, pattern: noNulPattern },
            actorId: { type: 'string', maxLength: 200, pattern: noNulPattern },
            order: { type: 'string', enum: ['asc', 'desc'] },
          },
        },
        response: { 200: pageOf('AuditEntry'), '4xx': errorSchema },
      },
    },
    async (request) => listAuditEntries(context, actorOf(request), request.query),
  );

  app.get(
    '/v1/audit/verify',
    {
      onRequest,
      schema: {
        tags: ['audit'],
        summary: 'Check the hash chain and report the first altered or missing entry (scope audit:read)',
        security,
        response: {
          200: {
            type: 'object',
            properties: {
              ok: { type: 'boolean' },
              checked: { type: 'integer' },
              firstBreak: { type: ['object', 'null'], properties: { seq: { type: 'integer' }, reason: { type: 'string' }, message: { type: 'string' } } },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request) => verifyAuditChain(context, actorOf(request)),
  );

  app.get(
    '/v1/audit/export',
    {
      onRequest,
      schema: {
        tags: ['audit'],
        summary: 'Every audit entry, oldest first, as JSON Lines (scope audit:read, and a token not limited to keyspaces)',
        security,
      },
    },
    async (request, reply) => {
      const entries = exportAuditEntries(context, actorOf(request));
      // The first entry is read before the response starts, so a denied request still gets its 403.
      const first = await entries.next();
      reply.type('application/x-ndjson');
      return reply.send(Readable.from(toJsonLines(first, entries)));
    },
  );
}

async function* toJsonLines(first: IteratorResult<AuditEntry>, rest: AsyncGenerator<AuditEntry>): AsyncGenerator<string> {
  if (first.done) return;
  yield `${JSON.stringify(first.value)}\n`;
  for await (const entry of rest) yield `${JSON.stringify(entry)}\n`;
}
