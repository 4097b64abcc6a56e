import type { FastifyInstance } from 'fastify';
import { acknowledgeAlert, alertStatuses, getAlert, listAlerts, type AlertListInput } from '../../services/alerts.js';
import type { ServiceContext } from '../../services/context.js';
import { actorOf, requireAdminToken } from '../auth.js';
import { errorSchema, idParamsSchema, noNulPattern, pageOf, pageQuerySchema } from '../schemas.js';

export const alertSchema = {
  $id: 'Alert',
  type: 'object',
  properties: {
    id: { type: 'string' },
    type: { type: 'string', description: 'the event type that raised it, e.g. token.expiring' },
    severity: { type: 'string', enum: ['info', 'warning', 'critical'] },
    status: { type: 'string', enum: [...alertStatuses] },
    summary: { type: 'string' },
    subject: { type: 'object', properties: { type: { type: ['string', 'null'] }, id: { type: ['string', 'null'] } } },
    keyspace: { type: ['string', 'null'] },
    eventCount: { type: 'integer' },
    firstEventId: { type: 'string' },
    lastEventId: { type: 'string' },
    raisedAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    acknowledgedAt: { type: ['string', 'null'], format: 'date-time' },
    acknowledgedBy: { type: ['string', 'null'] },
  },
} as const;

export function alertRoutes(app: FastifyInstance, context: ServiceContext): void {
  const onRequest = requireAdminToken(context);
  const security = [{ bearerAuth: [] }];
  const tags = ['alerts'];

  app.get<{ Querystring: AlertListInput }>(
    '/v1/alerts',
    {
      onRequest,
      schema: {
        tags,
        summary: 'List alerts, newest first; open ones unless status says otherwise (scope alerts:read)',
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...pageQuerySchema,
            status: { type: 'string', enum: [...alertStatuses, 'all'] },
            type: { type: 'string', maxLength: 100, pattern: noNulPattern },
          },
        },
        response: { 200: pageOf('Alert'), '4xx': errorSchema },
      },
    },
    async (request) => listAlerts(context, actorOf(request), request.query),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/alerts/:id',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Get an alert (scope alerts:read)',
        security,
        params: idParamsSchema,
        response: { 200: { $ref: 'Alert#' }, '4xx': errorSchema },
      },
    },
    async (request) => getAlert(context, actorOf(request), request.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/alerts/:id/acknowledge',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Acknowledge an open alert (scope alerts:write)',
        security,
        params: idParamsSchema,
        response: { 200: { $ref: 'Alert#' }, '4xx': errorSchema },
      },
    },
    async (request) => acknowledgeAlert(context, actorOf(request), request.params.id),
  );
}
