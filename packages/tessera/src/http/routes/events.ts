import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../services/context.js';
import { listEvents, type EventListInput } from '../../services/events.js';
import { actorOf, requireAdminToken } from '../auth.js';
import { errorSchema, noNulPattern, pageOf, pageQuerySchema } from '../schemas.js';

export function eventRoutes(app: FastifyInstance, context: ServiceContext): void {
  app.get<{ Querystring: EventListInput }>(
    '/v1/events',
    {
      onRequest: requireAdminToken(context),
      schema: {
        tags: ['events'],
        summary: 'Follow the event outbox, oldest first; keep nextCursor to read only newer events next time (scope audit:read)',
        security: [{ bearerAuth: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...pageQuerySchema,
            type: { type: 'string', maxLength: 500, pattern: noNulPattern, description: 'comma-separated event types' },
            subjectId: { type: 'string', maxLength: 100, pattern: noNulPattern },
          },
        },
        response: { 200: pageOf('Event'), '4xx': errorSchema },
      },
    },
    async (request) => listEvents(context, actorOf(request), request.query),
  );
}
